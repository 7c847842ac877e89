#include "storage/remote_source.h"

#include "storage/block_cache.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <algorithm>
#include <mutex>
#include <thread>

namespace astrolake::storage {
namespace {

constexpr uint64_t kTailBytes = 64 * 1024;

std::string decode_entities(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out.push_back(s[i]);
      continue;
    }
    size_t semi = s.find(';', i);
    std::string ent = semi == std::string::npos ? "" : s.substr(i + 1, semi - i - 1);
    if (ent == "amp") out.push_back('&');
    else if (ent == "lt") out.push_back('<');
    else if (ent == "gt") out.push_back('>');
    else if (ent == "quot") out.push_back('"');
    else if (ent == "apos") out.push_back('\'');
    else if (!ent.empty() && ent[0] == '#') {
      long cp = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X') ? std::strtol(ent.c_str() + 2, nullptr, 16)
                                                                    : std::strtol(ent.c_str() + 1, nullptr, 10);
      if (cp < 0x80) out.push_back(char(cp));
      else if (cp < 0x800) { out.push_back(char(0xC0 | (cp >> 6))); out.push_back(char(0x80 | (cp & 0x3F))); }
      else { out.push_back(char(0xE0 | (cp >> 12))); out.push_back(char(0x80 | ((cp >> 6) & 0x3F))); out.push_back(char(0x80 | (cp & 0x3F))); }
    } else {
      out.push_back('&');
      continue;
    }
    i = semi;
  }
  return out;
}

// "bytes 100-199/1000" -> start 100, total 1000.
bool parse_content_range(const std::string& v, uint64_t& start, uint64_t& end, uint64_t& total) {
  return std::sscanf(v.c_str(), "bytes %lu-%lu/%lu", &start, &end, &total) == 3;
}

class RemoteSource : public ByteSource {
 public:
  RemoteSource(std::string url, RangeGet get, std::optional<uint64_t> from) : url_(std::move(url)), get_(std::move(get)) {
    HttpResponse r;
    if (from) r = get_("bytes=" + std::to_string(*from) + "-");
    if (!from || r.status == 416) r = get_("bytes=-" + std::to_string(kTailBytes));  // 416: hint past the end
    if (r.status == 416) {  // an empty object has no suffix to give
      size_ = 0;
      return;
    }
    uint64_t start = 0;
    if (r.status == 200) {  // whole object (server ignores ranges, or the object is small)
      size_ = r.body.size();
      check_length(r, size_);
    } else {
      if (r.status == 404 || r.status == 410) throw NotFoundError("cannot open " + url_ + ": " + describe_error(r));
      if (r.status != 206) throw IoError("cannot open " + url_ + ": " + describe_error(r));
      uint64_t end, total;
      if (!parse_content_range(r.header("content-range"), start, end, total) || end < start ||
          r.body.size() != end - start + 1 || end + 1 != total)
        throw IoError(url_ + ": bad range answer (Content-Range '" + r.header("content-range") + "', " +
                      std::to_string(r.body.size()) + " bytes)");
      size_ = total;
    }
    object_ = url_ + "\n" + std::to_string(size_) + "\n" + r.header("etag") + "\n" + r.header("last-modified");
    // Keep the last 64 KiB (the footer) with the source; more than that (what open_from asked
    // for) goes to the block cache, where the reads that follow find it.
    if (r.body.size() > kTailBytes) {
      uint64_t head = r.body.size() - kTailBytes;
      BlockCache::shared().insert(object_, start, std::make_shared<const std::string>(r.body, 0, size_t(head)));
      r.body.erase(0, size_t(head));
      start += head;
    }
    tail_start_ = start;
    tail_ = std::move(r.body);
  }

  uint64_t size() const override { return size_; }
  const std::string& name() const override { return url_; }

  void read(uint64_t offset, std::span<uint8_t> out) const override {
    if (offset > size_ || out.size() > size_ - offset)
      throw IoError(url_ + ": read of " + std::to_string(out.size()) + " bytes at offset " + std::to_string(offset) +
                    " is past the end (size " + std::to_string(size_) + ")");
    if (out.empty()) return;
    if (offset >= tail_start_) {
      std::memcpy(out.data(), tail_.data() + (offset - tail_start_), out.size());
      return;
    }
    if (offset + out.size() > tail_start_) {  // straddles the tail: its end is already here
      size_t head = size_t(tail_start_ - offset);
      std::memcpy(out.data() + head, tail_.data(), out.size() - head);
      out = out.first(head);
    }
    if (from_blocks(offset, out.size(), out.data())) return;
    auto got = std::make_shared<const std::string>(fetch(offset, out.size()));
    BlockCache::shared().insert(object_, offset, got);
    std::memcpy(out.data(), got->data(), out.size());
  }

  // Ranges already held here or in the block cache cost nothing; the others closer than
  // kGap are fetched as one request (the gap is read and thrown away: cheaper than a round
  // trip), with at most kParallel requests in flight. What is fetched stays held until
  // release() and goes to the block cache for later readers.
  void prefetch(const std::vector<std::pair<uint64_t, uint64_t>>& ranges) const override {
    static constexpr uint64_t kGap = 64 * 1024;
    static constexpr size_t kParallel = 8;
    static constexpr uint64_t kPart = 8 << 20;
    std::vector<std::pair<uint64_t, uint64_t>> rs;
    for (auto [off, len] : ranges) {
      if (len == 0 || off >= tail_start_ || off > size_ || len > size_ - off) continue;
      uint64_t end = std::min(off + len, tail_start_);
      if (!from_blocks(off, end - off, nullptr)) rs.emplace_back(off, end);  // [start, end)
    }
    std::sort(rs.begin(), rs.end());
    struct Want {
      uint64_t start, len;
      Bytes bytes;
    };
    std::vector<Want> merged;
    for (auto [a, b] : rs) {
      if (!merged.empty() && a <= merged.back().start + merged.back().len + kGap)
        merged.back().len = std::max(merged.back().len, b - merged.back().start);
      else
        merged.push_back(Want{a, b - a, nullptr});
    }
    // One connection streams at a bounded rate: a long range is fetched as kPart pieces in
    // parallel (reads spanning pieces are put together from them).
    std::vector<Want> parts;
    for (const Want& w : merged)
      for (uint64_t at = 0; at < w.len; at += kPart) parts.push_back(Want{w.start + at, std::min(kPart, w.len - at), nullptr});
    merged.swap(parts);
    std::vector<std::exception_ptr> errors(merged.size());
    if (merged.size() == 1) {  // one request: on this thread, no thread to start
      merged[0].bytes = std::make_shared<const std::string>(fetch(merged[0].start, merged[0].len));
      std::lock_guard<std::mutex> lock(mu_);
      BlockCache::shared().insert(object_, merged[0].start, merged[0].bytes);
      pinned_.emplace_back(merged[0].start, std::move(merged[0].bytes));
      return;
    }
    for (size_t first = 0; first < merged.size(); first += kParallel) {
      std::vector<std::thread> pool;
      for (size_t i = first; i < std::min(merged.size(), first + kParallel); ++i)
        pool.emplace_back([&, i] {
          try {
            merged[i].bytes = std::make_shared<const std::string>(fetch(merged[i].start, merged[i].len));
          } catch (...) {
            errors[i] = std::current_exception();
          }
        });
      for (auto& t : pool) t.join();
    }
    for (auto& e : errors)
      if (e) std::rethrow_exception(e);
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& w : merged) {
      BlockCache::shared().insert(object_, w.start, w.bytes);
      pinned_.emplace_back(w.start, std::move(w.bytes));
    }
  }

  void release() const override {
    std::lock_guard<std::mutex> lock(mu_);
    pinned_.clear();
  }

  std::span<const uint8_t> view(uint64_t offset, uint64_t len) const override {
    if (offset < tail_start_ || offset > size_ || len > size_ - offset) return {};
    return {reinterpret_cast<const uint8_t*>(tail_.data()) + (offset - tail_start_), size_t(len)};
  }

 private:
  // Copies [offset, offset+out.size()) from blocks held here or in the block cache, piece by
  // piece across adjacent blocks, pinning the blocks used; false (out partly written) when
  // some byte is in none. A null `out` only checks (and pins).
  bool from_blocks(uint64_t offset, uint64_t len, uint8_t* out) const {
    uint64_t pos = offset, end = offset + len;
    while (pos < end) {
      uint64_t at = 0;
      Bytes b;
      {
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& [start, blk] : pinned_)
          if (pos >= start && pos < start + blk->size()) {
            at = start;
            b = blk;
            break;
          }
      }
      if (!b) {
        b = BlockCache::shared().find(object_, pos, 1, at);
        if (!b) return false;
        std::lock_guard<std::mutex> lock(mu_);
        pinned_.emplace_back(at, b);
      }
      uint64_t n = std::min(end, at + b->size()) - pos;
      if (out) std::memcpy(out + (pos - offset), b->data() + (pos - at), size_t(n));
      pos += n;
    }
    return true;
  }

  // One range GET of exactly len bytes at offset; anything else is an error naming the URL.
  std::string fetch(uint64_t offset, uint64_t len) const {
    uint64_t last = offset + len - 1;
    HttpResponse r = get_("bytes=" + std::to_string(offset) + "-" + std::to_string(last));
    if (r.status == 200 && r.body.size() == size_) return r.body.substr(offset, len);  // range ignored
    if (r.status != 206) throw IoError("cannot read " + url_ + ": " + describe_error(r));
    uint64_t start, end, total;
    if (!parse_content_range(r.header("content-range"), start, end, total) || start != offset || end != last ||
        total != size_ || r.body.size() != len)
      throw IoError(url_ + ": short or mismatched read: asked for bytes " + std::to_string(offset) + "-" +
                    std::to_string(last) + " of " + std::to_string(size_) + ", got " + std::to_string(r.body.size()) +
                    " bytes (Content-Range '" + r.header("content-range") + "'); the object may have changed");
    return std::move(r.body);
  }

  void check_length(const HttpResponse& r, uint64_t want) const {
    std::string cl = r.header("content-length");
    if (!cl.empty() && std::strtoull(cl.c_str(), nullptr, 10) != want)
      throw IoError(url_ + ": got " + std::to_string(want) + " bytes, Content-Length says " + cl);
  }

  std::string url_;
  RangeGet get_;
  uint64_t size_ = 0;
  std::string object_;  // the block cache's key: URL, size, ETag and Last-Modified
  uint64_t tail_start_ = 0;
  std::string tail_;
  mutable std::mutex mu_;
  mutable std::vector<std::pair<uint64_t, Bytes>> pinned_;  // blocks held until release()
};

}  // namespace

std::shared_ptr<ByteSource> open_remote(const std::string& url, RangeGet get, std::optional<uint64_t> from) {
  return std::make_shared<RemoteSource>(url, std::move(get), from);
}

std::optional<uint64_t> ProbeCache::stat(const std::string& url,
                                         const std::function<std::shared_ptr<ByteSource>()>& open) {
  {  // tested twice before its open (a catalog's opening does): the first answer stands
    std::lock_guard<std::mutex> lock(mu_);
    auto it = parked_.find(url);
    if (it != parked_.end()) return it->second->size();
  }
  std::shared_ptr<ByteSource> src;
  try {
    src = open();
  } catch (const NotFoundError&) {
    return std::nullopt;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (parked_.size() >= 64) parked_.clear();  // tests never followed by an open
  parked_[url] = src;
  return src->size();
}

void ProbeCache::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  parked_.clear();
}

std::shared_ptr<ByteSource> ProbeCache::take(const std::string& url) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = parked_.find(url);
  if (it == parked_.end()) return nullptr;
  auto src = std::move(it->second);
  parked_.erase(it);
  return src;
}

std::vector<std::string> xml_values(const std::string& xml, const std::string& tag) {
  std::vector<std::string> out;
  std::string open = "<" + tag + ">", close = "</" + tag + ">";
  size_t pos = 0;
  while ((pos = xml.find(open, pos)) != std::string::npos) {
    size_t start = pos + open.size();
    size_t end = xml.find(close, start);
    if (end == std::string::npos) break;
    out.push_back(decode_entities(xml.substr(start, end - start)));
    pos = end + close.size();
  }
  return out;
}

std::string describe_error(const HttpResponse& resp) {
  std::string out = "HTTP " + std::to_string(resp.status);
  auto code = xml_values(resp.body, "Code");
  auto msg = xml_values(resp.body, "Message");
  if (!code.empty()) out += " " + code[0];
  if (!msg.empty() && !msg[0].empty()) out += ": " + msg[0];
  return out;
}

}  // namespace astrolake::storage

// S3 as a file system: s3://bucket/key. Reads are range GETs (remote_source), listing is
// ListObjectsV2 with a "/" delimiter and continuation, writes are one PUT or, past the part
// size, a multipart upload completed on commit (so an object appears whole or not at all).
#include <algorithm>
#include <ctime>
#include <mutex>

#include "storage/file_system.h"
#include "storage/remote_source.h"
#include "storage/s3.h"

namespace astrolake::storage {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;
using Headers = std::vector<std::pair<std::string, std::string>>;

struct Location {
  std::string bucket, key;
};

Location parse_s3(const std::string& url) {
  if (url.rfind("s3://", 0) != 0) throw IoError(url + ": not an s3:// URL");
  std::string rest = url.substr(5);
  auto slash = rest.find('/');
  Location l;
  l.bucket = rest.substr(0, slash);
  if (slash != std::string::npos) l.key = rest.substr(slash + 1);
  if (l.bucket.empty()) throw IoError(url + ": no bucket name (expected s3://bucket/key)");
  return l;
}

std::string amz_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

class S3Client {
 public:
  explicit S3Client(S3Config c) : cfg_(std::move(c)), opts_(HttpOptions::from_env()) {
    auto p = cfg_.endpoint.find("://");
    scheme_ = cfg_.endpoint.substr(0, p);
    host_ = cfg_.endpoint.substr(p + 3);
  }
  const S3Config& config() const { return cfg_; }

  HttpResponse send(const std::string& method, const Location& loc, const Query& query, Headers headers = {},
                    std::string body = {}) const {
    std::string host = cfg_.path_style ? host_ : loc.bucket + "." + host_;
    std::string path = cfg_.path_style ? "/" + loc.bucket + "/" + uri_encode(loc.key, false)
                                       : "/" + uri_encode(loc.key, false);
    if (cfg_.path_style && loc.key.empty()) path = "/" + loc.bucket;
    HttpRequest req;
    req.method = method;
    std::string qs = canonical_query(query);
    req.url = scheme_ + "://" + host + path + (qs.empty() ? "" : "?" + qs);
    req.body = std::move(body);
    std::string payload_hash = sha256_hex(req.body);
    return http_send(req, opts_, [&](HttpRequest& r) {
      r.headers = headers;
      if (cfg_.creds.anonymous()) return;
      std::string date = amz_now();
      r.headers.emplace_back("Host", host);
      r.headers.emplace_back("x-amz-date", date);
      r.headers.emplace_back("x-amz-content-sha256", payload_hash);
      if (!cfg_.creds.session_token.empty()) r.headers.emplace_back("x-amz-security-token", cfg_.creds.session_token);
      SignInput in{method, path, query, r.headers, payload_hash, date, cfg_.region};
      r.headers.emplace_back("Authorization", sigv4_authorization(cfg_.creds, in));
    });
  }

  [[noreturn]] void fail(const std::string& what, const std::string& url, const HttpResponse& r) const {
    throw IoError(what + " " + url + ": " + describe_error(r) + " (endpoint " + cfg_.endpoint + ")");
  }

 private:
  S3Config cfg_;
  HttpOptions opts_;
  std::string scheme_, host_;
};

class S3Writable : public WritableFile {
 public:
  S3Writable(std::shared_ptr<const S3Client> c, std::string url)
      : client_(std::move(c)), url_(std::move(url)), loc_(parse_s3(url_)) {}
  ~S3Writable() override {
    if (committed_ || upload_id_.empty()) return;
    try {  // drop the parts uploaded so far; the object never appeared
      client_->send("DELETE", loc_, {{"uploadId", upload_id_}});
    } catch (...) {
    }
  }
  void append(std::span<const uint8_t> bytes) override {
    buf_.append(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    while (buf_.size() >= client_->config().part_size) {
      std::string part = buf_.substr(0, client_->config().part_size);
      buf_.erase(0, part.size());
      upload_part(std::move(part));
    }
  }
  void commit() override {
    if (upload_id_.empty()) {
      HttpResponse r = client_->send("PUT", loc_, {}, {}, std::move(buf_));
      if (r.status != 200) client_->fail("cannot write", url_, r);
      committed_ = true;
      return;
    }
    if (!buf_.empty() || etags_.empty()) upload_part(std::move(buf_));
    std::string xml = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < etags_.size(); ++i)
      xml += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>" + etags_[i] + "</ETag></Part>";
    xml += "</CompleteMultipartUpload>";
    HttpResponse r = client_->send("POST", loc_, {{"uploadId", upload_id_}}, {{"Content-Type", "application/xml"}}, xml);
    // S3 may answer 200 with an error document when completion fails late.
    if (r.status != 200 || !xml_values(r.body, "Code").empty()) client_->fail("cannot complete upload of", url_, r);
    committed_ = true;
  }

 private:
  void upload_part(std::string part) {
    if (upload_id_.empty()) {
      HttpResponse r = client_->send("POST", loc_, {{"uploads", ""}});
      auto ids = xml_values(r.body, "UploadId");
      if (r.status != 200 || ids.empty()) client_->fail("cannot start multipart upload of", url_, r);
      upload_id_ = ids[0];
    }
    Query q = {{"partNumber", std::to_string(etags_.size() + 1)}, {"uploadId", upload_id_}};
    HttpResponse r = client_->send("PUT", loc_, q, {}, std::move(part));
    if (r.status != 200 || r.header("etag").empty()) client_->fail("cannot upload a part of", url_, r);
    etags_.push_back(r.header("etag"));
  }

  std::shared_ptr<const S3Client> client_;
  std::string url_;
  Location loc_;
  std::string buf_;
  std::string upload_id_;
  std::vector<std::string> etags_;
  bool committed_ = false;
};

class S3FileSystem : public FileSystem {
 public:
  S3FileSystem() = default;
  explicit S3FileSystem(S3Config c) : fixed_(true), client_(std::make_shared<const S3Client>(std::move(c))) {}
  std::shared_ptr<ByteSource> open(const std::string& url) override {
    client();  // first: a changed configuration drops what was parked under the old one
    if (auto parked = probes_.take(url)) return parked;
    return open_new(url);
  }
  std::shared_ptr<ByteSource> open_from(const std::string& url, uint64_t offset) override {
    client();
    if (auto parked = probes_.take(url)) return parked;
    return open_new(url, offset);
  }
  std::shared_ptr<ByteSource> open_new(const std::string& url, std::optional<uint64_t> from = std::nullopt) {
    auto c = client();
    Location loc = parse_s3(url);
    if (loc.key.empty()) throw IoError("cannot open " + url + ": no object key");
    return open_remote(url, [c, loc](const std::string& range) {
      Headers h;
      if (!range.empty()) h.emplace_back("Range", range);
      return c->send("GET", loc, {}, h);
    }, from);
  }
  std::unique_ptr<WritableFile> create(const std::string& url) override {
    probes_.take(url);
    return std::make_unique<S3Writable>(client(), url);
  }
  std::vector<FileInfo> list(const std::string& url) override { return list_prefix(url, true); }
  std::optional<uint64_t> stat(const std::string& url) override {
    Location loc = parse_s3(url);
    if (loc.key.empty() || loc.key.back() == '/') return std::nullopt;
    return probes_.stat(url, [&] { return open_new(url); });
  }
  void remove(const std::string& url) override {
    probes_.take(url);
    auto c = client();
    HttpResponse r = c->send("DELETE", parse_s3(url), {});
    if (r.status != 204 && r.status != 200 && r.status != 404) c->fail("cannot remove", url, r);
  }
  void remove_all(const std::string& url) override {
    std::string dir = url.back() == '/' ? url : url + "/";
    for (const FileInfo& f : list_prefix(dir, false)) remove(dir + f.name);
  }

 private:
  // Objects under url + "/": direct children (files, and directories from common prefixes) when
  // `children`, else every object with its path relative to the prefix.
  std::vector<FileInfo> list_prefix(const std::string& url, bool children) {
    auto c = client();
    Location loc = parse_s3(url);
    std::string prefix = loc.key;
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    std::vector<FileInfo> out;
    std::string token;
    do {
      Query q = {{"list-type", "2"}, {"prefix", prefix}, {"max-keys", std::to_string(c->config().list_page)}};
      if (children) q.emplace_back("delimiter", "/");
      if (!token.empty()) q.emplace_back("continuation-token", token);
      HttpResponse r = c->send("GET", Location{loc.bucket, ""}, q);
      if (r.status != 200) c->fail("cannot list", url, r);
      for (const std::string& item : xml_values(r.body, "Contents")) {
        auto keys = xml_values(item, "Key");
        auto sizes = xml_values(item, "Size");
        if (keys.empty() || keys[0].size() <= prefix.size()) continue;
        FileInfo f;
        f.name = keys[0].substr(prefix.size());
        f.size = sizes.empty() ? 0 : std::strtoull(sizes[0].c_str(), nullptr, 10);
        out.push_back(std::move(f));
      }
      for (const std::string& item : xml_values(r.body, "CommonPrefixes")) {
        auto p = xml_values(item, "Prefix");
        if (p.empty() || p[0].size() <= prefix.size()) continue;
        FileInfo f;
        f.name = p[0].substr(prefix.size());
        if (!f.name.empty() && f.name.back() == '/') f.name.pop_back();
        f.is_dir = true;
        out.push_back(std::move(f));
      }
      auto truncated = xml_values(r.body, "IsTruncated");
      auto next = xml_values(r.body, "NextContinuationToken");
      token = (!truncated.empty() && truncated[0] == "true" && !next.empty()) ? next[0] : "";
    } while (!token.empty());
    std::sort(out.begin(), out.end(), [](const FileInfo& a, const FileInfo& b) { return a.name < b.name; });
    return out;
  }

  std::shared_ptr<const S3Client> client() {
    std::lock_guard<std::mutex> lock(mu_);
    if (fixed_) return client_;
    std::string now = s3_environment();
    if (!client_ || now != env_) {
      if (client_) probes_.clear();  // those answers came from the old endpoint or account
      client_ = std::make_shared<const S3Client>(load_s3_config());
      env_ = std::move(now);
    }
    return client_;
  }
  std::mutex mu_;
  bool fixed_ = false;  // made with an explicit configuration: the environment does not apply
  std::string env_;     // the environment client_ was made from
  std::shared_ptr<const S3Client> client_;
  ProbeCache probes_;
};

}  // namespace

std::shared_ptr<FileSystem> make_s3_file_system(S3Config config) {
  return std::make_shared<S3FileSystem>(std::move(config));
}

std::shared_ptr<FileSystem> s3_file_system() {
  static auto fs = std::make_shared<S3FileSystem>();
  return fs;
}

}  // namespace astrolake::storage

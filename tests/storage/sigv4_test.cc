// SigV4 checked against the example requests and signatures published in the Amazon S3 API
// reference ("Signature Calculations for the Authorization Header"), which all use these keys.
#include "storage/sigv4.h"

#include <gtest/gtest.h>

using namespace astrolake::storage;

namespace {

const Credentials kExample{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const std::string kEmptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

SignInput example(std::string method, std::string uri) {
  SignInput in;
  in.method = std::move(method);
  in.canonical_uri = std::move(uri);
  in.amz_date = "20130524T000000Z";
  in.region = "us-east-1";
  return in;
}

}  // namespace

TEST(SigV4, Sha256OfEmptyPayload) { EXPECT_EQ(sha256_hex(""), kEmptyHash); }

TEST(SigV4, GetObjectWithRange) {
  SignInput in = example("GET", "/test.txt");
  in.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                {"Range", "bytes=0-9"},
                {"x-amz-content-sha256", kEmptyHash},
                {"x-amz-date", "20130524T000000Z"}};
  in.payload_hash = kEmptyHash;
  EXPECT_EQ(sigv4_authorization(kExample, in),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4, PutObject) {
  // The key "test$file.text": '$' is percent-encoded in the canonical URI.
  SignInput in = example("PUT", "/" + uri_encode("test$file.text", false));
  EXPECT_EQ(in.canonical_uri, "/test%24file.text");
  std::string body = "Welcome to Amazon S3.";
  in.payload_hash = sha256_hex(body);
  EXPECT_EQ(in.payload_hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  in.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                {"Date", "Fri, 24 May 2013 00:00:00 GMT"},
                {"x-amz-date", "20130524T000000Z"},
                {"x-amz-storage-class", "REDUCED_REDUNDANCY"},
                {"x-amz-content-sha256", in.payload_hash}};
  EXPECT_EQ(sigv4_authorization(kExample, in),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
            "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, GetBucketLifecycle) {
  SignInput in = example("GET", "/");
  in.query = {{"lifecycle", ""}};
  in.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                {"x-amz-date", "20130524T000000Z"},
                {"x-amz-content-sha256", kEmptyHash}};
  in.payload_hash = kEmptyHash;
  EXPECT_EQ(sigv4_authorization(kExample, in),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, ListObjects) {
  SignInput in = example("GET", "/");
  in.query = {{"prefix", "J"}, {"max-keys", "2"}};  // out of order: the canonical query sorts them
  EXPECT_EQ(canonical_query(in.query), "max-keys=2&prefix=J");
  in.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                {"x-amz-date", "20130524T000000Z"},
                {"x-amz-content-sha256", kEmptyHash}};
  in.payload_hash = kEmptyHash;
  EXPECT_EQ(sigv4_authorization(kExample, in),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
            "SignedHeaders=host;x-amz-content-sha256;x-amz-date,"
            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, UriEncoding) {
  EXPECT_EQ(uri_encode("a b/c~d_e-f.g", false), "a%20b/c~d_e-f.g");
  EXPECT_EQ(uri_encode("a b/c", true), "a%20b%2Fc");
  EXPECT_EQ(uri_encode("Norder=1/é", false), "Norder%3D1/%C3%A9");
  EXPECT_EQ(canonical_query({{"continuation-token", "1/+x="}, {"list-type", "2"}}),
            "continuation-token=1%2F%2Bx%3D&list-type=2");
}

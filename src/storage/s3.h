// S3 configuration, read the way AWS tools read it.
#pragma once
#include <string>

#include <memory>

#include "storage/file_system.h"
#include "storage/sigv4.h"

namespace astrolake::storage {

struct S3Config {
  std::string endpoint;  // scheme://host[:port], no trailing slash
  std::string region = "us-east-1";
  bool path_style = false;  // https://host/bucket/key rather than https://bucket.host/key
  Credentials creds;        // empty access key: anonymous (unsigned) requests
  size_t part_size = 8 << 20;  // multipart upload part size (S3's minimum is 5 MiB)
  int list_page = 1000;        // keys per ListObjectsV2 request
};

// From, in order: AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL, AWS_REGION / AWS_DEFAULT_REGION,
// AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN), then the profile
// AWS_PROFILE (else "default") in AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials) and
// AWS_CONFIG_FILE (~/.aws/config: region, endpoint_url, addressing_style, keys).
// AWS_NO_SIGN_REQUEST=true makes requests anonymous. Addressing is path-style for a custom
// endpoint and virtual-host for AWS unless ASTROLAKE_S3_ADDRESSING (path|virtual) or the
// profile's addressing_style says otherwise. ASTROLAKE_S3_PART_MB sets the part size.
S3Config load_s3_config();

// The environment load_s3_config() reads, as one string. The process-wide S3 file system
// reloads its configuration when this changes, so a notebook that sets AWS_* after a first
// s3:// read (or a test that starts another server) is not left on the old endpoint or keys.
std::string s3_environment();

// An S3 file system with the given configuration (s3_file_system() uses load_s3_config()).
std::shared_ptr<FileSystem> make_s3_file_system(S3Config config);

}  // namespace astrolake::storage

// ReadSecretFile: a key file straight into SecretBytes, with its size bounded.
#include "uicc/base/secret_file.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gbabridge {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

class SecretFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gbabridge-secret-file-" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(SecretFileTest, ReadsTheWholeFile) {
  const fs::path key = dir_ / "key.pem";
  std::ofstream(key) << "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
  absl::StatusOr<SecretBytes> read = ReadSecretFile(key.string(), "the TLS key");
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(SecretToString(*read),
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
  std::string copy = SecretToString(*read);
  WipeString(copy);
  EXPECT_TRUE(copy.empty());
}

TEST_F(SecretFileTest, MissingTooLargeAndNotAFileAreClearErrors) {
  absl::StatusOr<SecretBytes> missing = ReadSecretFile((dir_ / "none").string(), "the TLS key");
  EXPECT_TRUE(absl::IsInvalidArgument(missing.status()));
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("cannot read the TLS key"));

  const fs::path big = dir_ / "big";
  std::ofstream(big) << std::string(2048, 'x');
  absl::StatusOr<SecretBytes> too_large = ReadSecretFile(big.string(), "the key", 1024);
  EXPECT_THAT(std::string(too_large.status().message()),
              HasSubstr("2048 bytes, more than the 1024"));

  absl::StatusOr<SecretBytes> directory = ReadSecretFile(dir_.string(), "the key");
  EXPECT_THAT(std::string(directory.status().message()), HasSubstr("is not a regular file"));
}

}  // namespace
}  // namespace gbabridge

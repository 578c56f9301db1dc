#include "uicc/soft_usim/card_state_store.h"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "soft_usim_test_util.h"

namespace gbabridge {
namespace {

using ::gbabridge::soft_usim_testing::TempDir;
using ::testing::HasSubstr;

constexpr uint64_t kDelta = uint64_t{1} << 28;

CardState SampleState() {
  CardState state(*SqnArray::Create(5, kDelta));
  state.sqn.Accept((uint64_t{7} << 5) | 3);
  state.pin_enabled = true;
  state.pin_tries_left = 2;
  state.gba_rand = Bytes(16, 0xAB);
  state.ks = SecretBytes::CopyFrom(Bytes(32, 0x5A));
  NafKeyEntry entry;
  entry.record = 2;
  entry.naf_id = {'n', 'a', 'f', 0x01, 0x00, 0x00, 0x00, 0x02};
  entry.btid = "btid@bsf";
  entry.ks_int_naf = SecretBytes::CopyFrom(Bytes(32, 0x11));
  entry.last_used = 4;
  state.naf_keys.push_back(std::move(entry));
  state.naf_use_counter = 4;
  state.updated_files["usim/6fd6"] = {0x00, 0x01, 0x02};
  return state;
}

void WriteFile(const std::string& path, std::string_view contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

TEST(CardStateStoreTest, MissingFileMeansFreshCard) {
  TempDir dir;
  absl::StatusOr<std::optional<CardState>> loaded =
      CardStateStore(dir.File("state.json")).Load(kDelta);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_FALSE(loaded->has_value());
}

TEST(CardStateStoreTest, RoundTripsEveryField) {
  TempDir dir;
  CardStateStore store(dir.File("state.json"));
  ASSERT_TRUE(store.Save(SampleState()).ok());
  absl::StatusOr<std::optional<CardState>> loaded = store.Load(kDelta);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  ASSERT_TRUE(loaded->has_value());
  const CardState& s = **loaded;
  EXPECT_EQ(s.sqn.HighestAcceptedSqn(), (uint64_t{7} << 5) | 3);
  EXPECT_EQ(s.sqn.seq_ms()[3], 7u);
  EXPECT_EQ(s.sqn.Check((uint64_t{7} << 5) | 3), SqnArray::Verdict::kReplayed);
  EXPECT_TRUE(s.pin_enabled);
  EXPECT_EQ(s.pin_tries_left, 2);
  EXPECT_EQ(s.gba_rand, Bytes(16, 0xAB));
  EXPECT_EQ(s.ks.RevealHex(), HexEncode(Bytes(32, 0x5A)));
  ASSERT_EQ(s.naf_keys.size(), 1u);
  EXPECT_EQ(s.naf_keys[0].record, 2);
  EXPECT_EQ(s.naf_keys[0].btid, "btid@bsf");
  EXPECT_EQ(s.naf_keys[0].ks_int_naf.RevealHex(), HexEncode(Bytes(32, 0x11)));
  EXPECT_EQ(s.naf_keys[0].last_used, 4u);
  EXPECT_EQ(s.naf_use_counter, 4u);
  EXPECT_EQ(s.updated_files.at("usim/6fd6"), (Bytes{0x00, 0x01, 0x02}));
}

TEST(CardStateStoreTest, SaveLeavesOnlyTheStateFileWithMode0600) {
  TempDir dir;
  CardStateStore store(dir.File("state.json"));
  ASSERT_TRUE(store.Save(SampleState()).ok());
  ASSERT_TRUE(store.Save(SampleState()).ok());  // replaces
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    names.push_back(entry.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"state.json"});
  struct stat st {};
  ASSERT_EQ(::stat(dir.File("state.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST(CardStateStoreTest, CorruptFileIsAnErrorNotAReset) {
  TempDir dir;
  const std::string path = dir.File("state.json");
  CardStateStore store(path);
  for (const std::string_view bad :
       {std::string_view("garbage"), std::string_view("{\"format\": \"gbabridge-soft-usim-state\""),
        std::string_view("{}"),
        std::string_view("{\"format\": \"gbabridge-soft-usim-state\", \"version\": 1}")}) {
    WriteFile(path, bad);
    absl::StatusOr<std::optional<CardState>> loaded = store.Load(kDelta);
    ASSERT_FALSE(loaded.ok()) << bad;
    EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(loaded.status().message(), HasSubstr("not reset automatically"));
    EXPECT_THAT(loaded.status().message(), HasSubstr(path));
  }
  // A valid file with one field of the wrong type.
  ASSERT_TRUE(store.Save(SampleState()).ok());
  std::string json = SampleState().ToJson();
  json.replace(json.find("\"tries_left\": 2"), 15, "\"tries_left\": \"2\"");
  WriteFile(path, json);
  EXPECT_EQ(store.Load(kDelta).status().code(), absl::StatusCode::kDataLoss);
}

TEST(CardStateStoreTest, SaveIntoMissingDirectoryFails) {
  CardStateStore store("/nonexistent-dir-for-soft-usim/state.json");
  absl::Status status = store.Save(SampleState());
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("/nonexistent-dir-for-soft-usim"));
}

}  // namespace
}  // namespace gbabridge

// Fuzz target: soft-usim's command handler with any sequence of APDUs. The input is a
// series of [length byte][APDU] records; each run starts a fresh card from the sample
// profile, so that a crash reproduces from its input alone. Every command must get a
// status word (the ApduHandler contract), and nothing may crash.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "uicc/soft_usim/card_profile.h"
#include "uicc/soft_usim/soft_usim.h"

namespace {

const std::string& ProfileText() {
  static const std::string* text = [] {
    std::ifstream in(GBABRIDGE_SOURCE_DIR "/uicc/soft_usim/profiles/sample.toml");
    std::stringstream s;
    s << in.rdbuf();
    if (s.str().empty()) std::abort();  // the fuzzer would test nothing
    return new std::string(s.str());
  }();
  return *text;
}

const std::string& StatePath() {
  static const std::string* path = [] {
    auto* p =
        new std::string("/tmp/gbabridge-fuzz-soft-usim-" + std::to_string(getpid()) + ".json");
    // libFuzzer ends with exit() when its time is up: take the card's state file along.
    std::atexit([] { ::unlink(StatePath().c_str()); });
    return p;
  }();
  return *path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<gbabridge::CardProfile> profile =
      gbabridge::CardProfile::Parse(ProfileText(), "sample.toml");
  if (!profile.ok()) std::abort();
  ::unlink(StatePath().c_str());
  absl::StatusOr<std::unique_ptr<gbabridge::SoftUsim>> card =
      gbabridge::SoftUsim::Create(*std::move(profile), StatePath());
  if (!card.ok()) std::abort();
  (*card)->Reset();
  size_t at = 0;
  while (at < size) {
    const size_t length = data[at++];
    const size_t take = length < size - at ? length : size - at;
    const gbabridge::Bytes response = (*card)->Process(gbabridge::ByteView(data + at, take));
    if (response.size() < 2) std::abort();  // no status word
    at += take;
  }
  return 0;
}

#include "uicc/soft_usim/card_fault.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "uicc/base/secret_bytes.h"
#include "uicc/soft_usim/apdu_log.h"

namespace gbabridge {
namespace {

struct KindName {
  CardFaultKind kind;
  std::string_view name;
};

constexpr KindName kKindNames[] = {
    {CardFaultKind::kTruncate, "truncate"},      {CardFaultKind::kGarbage, "garbage"},
    {CardFaultKind::kNoStatusWord, "no-sw"},     {CardFaultKind::kEmpty, "empty"},
    {CardFaultKind::kPullBefore, "pull-before"}, {CardFaultKind::kPullAfter, "pull-after"},
};

constexpr std::string_view kCommandNames[] = {
    "any",
    "select",
    "status",
    "read-binary",
    "update-binary",
    "read-record",
    "verify",
    "get-response",
    "authenticate",
    "authenticate-3g",
    "authenticate-gba",
    "authenticate-gba-bootstrap",
    "authenticate-gba-naf-derivation",
};

bool Matches(std::string_view wanted, std::string_view name) {
  if (wanted == "any") return true;
  // "authenticate" matches "authenticate-3g" and the rest, not "authenticatex".
  return name == wanted || (name.size() > wanted.size() &&
                            name.substr(0, wanted.size()) == wanted && name[wanted.size()] == '-');
}

}  // namespace

absl::StatusOr<CardFault> ParseCardFault(std::string_view spec) {
  std::vector<std::string_view> parts;
  for (size_t start = 0;;) {
    const size_t colon = spec.find(':', start);
    parts.push_back(spec.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() < 2 || parts.size() > 3) {
    return absl::InvalidArgumentError(
        "a card fault is KIND:COMMAND[:N], e.g. garbage:authenticate or "
        "pull-after:authenticate-gba-bootstrap:2");
  }
  CardFault fault;
  auto kind = std::find_if(std::begin(kKindNames), std::end(kKindNames),
                           [&](const KindName& k) { return k.name == parts[0]; });
  if (kind == std::end(kKindNames)) {
    return absl::InvalidArgumentError(
        "unknown card fault kind; use truncate, garbage, no-sw, empty, pull-before or "
        "pull-after");
  }
  fault.kind = kind->kind;
  const bool ins_form = parts[1].size() == 6 && parts[1].substr(0, 4) == "ins-" &&
                        std::isxdigit(static_cast<unsigned char>(parts[1][4])) &&
                        std::isxdigit(static_cast<unsigned char>(parts[1][5]));
  if (!ins_form && std::find(std::begin(kCommandNames), std::end(kCommandNames), parts[1]) ==
                       std::end(kCommandNames)) {
    return absl::InvalidArgumentError(
        "unknown card fault command; use any, select, status, read-binary, update-binary, "
        "read-record, verify, get-response, authenticate, authenticate-3g, authenticate-gba, "
        "authenticate-gba-bootstrap, authenticate-gba-naf-derivation, or ins-XX (hex) for "
        "any other command");
  }
  fault.command = std::string(parts[1]);
  if (ins_form) {
    // CardFaultCommandName writes an INS it has no name for in upper case.
    for (size_t i = 4; i < 6; ++i) {
      fault.command[i] =
          static_cast<char>(std::toupper(static_cast<unsigned char>(fault.command[i])));
    }
  }
  if (parts.size() == 3) {
    if (!absl::SimpleAtoi(absl::string_view(parts[2].data(), parts[2].size()), &fault.from) ||
        fault.from < 1 || fault.from > 1000000) {
      return absl::InvalidArgumentError("the N of a card fault is a number from 1 to 1000000");
    }
  }
  return fault;
}

std::string CardFaultCommandName(ByteView command_apdu) {
  if (command_apdu.size() < 4) return "malformed";
  const std::string line = FormatApduLogLine(LoggableCommandHeader(command_apdu));
  // "00880084 AUTHENTICATE GBA-BOOTSTRAP" -> "authenticate-gba-bootstrap".
  const size_t space = line.find(' ');
  if (space == std::string::npos) return absl::StrCat("ins-", line.substr(2, 2));
  std::string name = line.substr(space + 1);
  for (char& c : name) {
    c = c == ' ' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return name;
}

FaultyCard::FaultyCard(ApduHandler& card, CardFault fault, uint64_t seed,
                       std::function<void(std::string_view)> pull)
    : card_(card),
      fault_(std::move(fault)),
      random_state_(seed != 0 ? seed : 0x9E3779B97F4A7C15ULL),
      pull_(std::move(pull)) {}

Bytes FaultyCard::Process(ByteView command_apdu) {
  const std::string name = CardFaultCommandName(command_apdu);
  if (!Matches(fault_.command, name) || ++matched_ < fault_.from) {
    return card_.Process(command_apdu);
  }
  ++applied_;
  if (fault_.kind == CardFaultKind::kPullBefore || fault_.kind == CardFaultKind::kPullAfter) {
    if (fault_.kind == CardFaultKind::kPullAfter) {
      Bytes response = card_.Process(command_apdu);
      Cleanse(response);  // may hold RES or a key; never answered
    }
    pull_(name);
    return {};  // only when `pull` returns (unit tests): a card that is gone answers nothing
  }
  return Spoil(card_.Process(command_apdu));
}

Bytes FaultyCard::Spoil(Bytes response) {
  Bytes out;
  const size_t sw_size = std::min<size_t>(2, response.size());
  const size_t data_size = response.size() - sw_size;
  auto append_status_word = [&] {
    out.insert(out.end(), response.end() - static_cast<ptrdiff_t>(sw_size), response.end());
  };
  switch (fault_.kind) {
    case CardFaultKind::kTruncate:
      out.assign(response.begin(), response.begin() + static_cast<ptrdiff_t>(data_size / 2));
      append_status_word();
      break;
    case CardFaultKind::kGarbage: {
      // Up to 16 bytes more than the real data, so that lengths past the end are tried too.
      const size_t size = NextRandom() % (data_size + 17);
      for (size_t i = 0; i < size; ++i) out.push_back(static_cast<uint8_t>(NextRandom() >> 56));
      append_status_word();
      break;
    }
    case CardFaultKind::kNoStatusWord:
      if (!response.empty()) out.push_back(response.front());
      break;
    default:  // kEmpty; the pull kinds never get here
      break;
  }
  Cleanse(response);  // the real answer may hold RES or Ks_ext_NAF
  return out;
}

uint64_t FaultyCard::NextRandom() {
  // SplitMix64: reproducible from the seed, so that a failing run can be repeated.
  uint64_t z = (random_state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

}  // namespace gbabridge

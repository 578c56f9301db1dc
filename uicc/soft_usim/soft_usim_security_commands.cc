// VERIFY PIN (ETSI TS 102 221 §11.1.9) and AUTHENTICATE (TS 31.102 §7.1.2).
#include <algorithm>
#include <cstring>

#include "uicc/base/kdf.h"
#include "uicc/soft_usim/aka_check.h"
#include "uicc/soft_usim/gba_files.h"
#include "uicc/soft_usim/soft_usim.h"
#include "uicc/soft_usim/soft_usim_apdus.h"
#include "uicc/soft_usim/soft_usim_status.h"

namespace gbabridge {
namespace {

using namespace card_apdu;  // NOLINT(build/namespaces): the card's own command table
constexpr size_t kPinBlockSize = 8;

// `L1 RAND L2 AUTN` with both lengths 16 (TS 31.102 §7.1.2.1 and the GBA bootstrapping
// mode after its tag). False when the data is not exactly that.
bool ParseRandAutn(ByteView data, Rand& rand, ByteView& autn) {
  if (data.size() != 2 + kRandSize + kAutnSize || data[0] != kRandSize ||
      data[1 + kRandSize] != kAutnSize) {
    return false;
  }
  std::copy_n(data.begin() + 1, kRandSize, rand.begin());
  autn = data.subspan(2 + kRandSize, kAutnSize);
  return true;
}

void AppendLv(Bytes& out, ByteView value) {
  out.push_back(static_cast<uint8_t>(value.size()));
  out.insert(out.end(), value.begin(), value.end());
}

Bytes SyncFailure(ByteView auts) {
  Bytes out = {kAuthSyncFailureTag};
  AppendLv(out, auts);
  return out;
}

}  // namespace

SoftUsim::Reply SoftUsim::Verify(const CommandApdu& command) {
  if (command.p1 != 0x00) return Reply(card_sw::kWrongP1P2);
  if (command.p2 != kPin1KeyReference) return Reply(card_sw::kReferenceNotFound);
  const int tries = state_.pin_tries_left;
  if (command.data.empty()) {
    // No data: report the verification status without trying (TS 102 221 §11.1.9): 9000
    // when nothing is needed (disabled or already verified), else the retries left.
    if (tries == 0) return Reply(card_sw::kPinBlocked);
    if (!state_.pin_enabled || pin_verified_) return Reply(card_sw::kOk);
    return Reply(card_sw::PinTriesLeft(tries));
  }
  if (command.data.size() != kPinBlockSize) return Reply(card_sw::kWrongLength);
  if (tries == 0) return Reply(card_sw::kPinBlocked);
  // Count the attempt (durably) before comparing, like a real card: a failure to save, or
  // a crash, then cannot yield a free guess.
  CardState attempt = state_.Clone();
  attempt.pin_tries_left = tries - 1;
  if (!Commit(std::move(attempt)).ok()) return Reply(card_sw::kTechnicalProblem);
  if (!ConstantTimeEquals(command.data, profile_.pin_block.view())) {
    pin_verified_ = false;
    return Reply(card_sw::PinTriesLeft(tries - 1));
  }
  CardState restored = state_.Clone();
  restored.pin_tries_left = profile_.pin_tries;
  if (!Commit(std::move(restored)).ok()) return Reply(card_sw::kTechnicalProblem);
  pin_verified_ = true;
  return Reply(card_sw::kOk);
}

SoftUsim::Reply SoftUsim::Authenticate(const CommandApdu& command) {
  if (command.p1 != 0x00) return Reply(card_sw::kWrongP1P2);
  const bool on_usim = selection_.adf != nullptr && selection_.adf == files_->usim();
  const bool on_isim = selection_.adf != nullptr && selection_.adf == files_->isim();
  if (command.p2 == kAuthContext3g) {
    // The 3G context exists in the USIM and (as the IMS AKA context) in the ISIM.
    if (!on_usim && !on_isim) return Reply(card_sw::kConditionsNotSatisfied);
  } else if (command.p2 == kAuthContextGba) {
    // Only a GBA-aware USIM (UST n°68) has the GBA context.
    if (!profile_.gba_u) return Reply(card_sw::kWrongP1P2);
    if (!on_usim) return Reply(card_sw::kConditionsNotSatisfied);
  } else {
    return Reply(card_sw::kWrongP1P2);
  }
  if (!MayAccess(CardAccess::kPin)) return Reply(card_sw::kSecurityNotSatisfied);
  if (command.data.empty()) return Reply(card_sw::kWrongLength);
  if (command.p2 == kAuthContext3g) return Authenticate3g(command.data);
  const ByteView body = ByteView(command.data).subspan(1);
  switch (command.data[0]) {
    case kGbaBootstrapTag:
      return GbaBootstrap(body);
    case kGbaNafDerivationTag:
      return GbaNafDerivation(body);
    default:
      return Reply(card_sw::kWrongData);
  }
}

std::optional<SoftUsim::Reply> SoftUsim::CheckChallenge(ByteView data, bool gba_u_mac_star,
                                                        Rand& rand, AkaCheckResult& result) {
  ByteView autn;
  if (!ParseRandAutn(data, rand, autn)) return Reply(card_sw::kWrongLength);
  result = CheckAutn(milenage_, state_.sqn, rand, autn, gba_u_mac_star);
  switch (result.outcome) {
    case AkaOutcome::kMacFailure:
      return Reply(card_sw::kAuthMacFailure);
    case AkaOutcome::kSyncFailure:
      return Reply(SyncFailure(result.auts), card_sw::kOk);
    case AkaOutcome::kAccepted:
      break;
  }
  return std::nullopt;
}

SoftUsim::Reply SoftUsim::Authenticate3g(ByteView data) {
  Rand rand{};
  AkaCheckResult result;
  if (std::optional<Reply> refused = CheckChallenge(data, /*gba_u_mac_star=*/false, rand, result)) {
    return *std::move(refused);
  }
  // The SQN is saved before RES leaves the card (TS 33.102 Annex C.2.2).
  CardState next = state_.Clone();
  next.sqn.Accept(result.sqn);
  if (!Commit(std::move(next)).ok()) return Reply(card_sw::kTechnicalProblem);
  Reply reply({kAuthSuccessTag}, card_sw::kOk);
  AppendLv(reply.data, result.keys.res.view());
  AppendLv(reply.data, result.keys.ck.view());
  AppendLv(reply.data, result.keys.ik.view());
  // Kc only from the USIM, which offers GSM access (UST n°27; TS 31.102 §7.1.2.1).
  if (selection_.adf == files_->usim()) {
    const SecretBytes kc = DeriveKc(result.keys.ck, result.keys.ik);
    AppendLv(reply.data, kc.view());
  }
  return reply;
}

SoftUsim::Reply SoftUsim::GbaBootstrap(ByteView data) {
  Rand rand{};
  AkaCheckResult result;
  // The BSF sends AUTN* for GBA_U subscribers (TS 33.220 §5.3.2).
  if (std::optional<Reply> refused = CheckChallenge(data, /*gba_u_mac_star=*/true, rand, result)) {
    return *std::move(refused);
  }
  // TS 33.220 Annex G.1: the card keeps Ks = CK || IK and RAND, replacing the previous
  // bootstrap; CK and IK never leave it.
  CardState next = state_.Clone();
  next.sqn.Accept(result.sqn);
  next.gba_rand.assign(rand.begin(), rand.end());
  next.ks = SecretBytes(kCkSize + kIkSize);
  std::memcpy(next.ks.data(), result.keys.ck.data(), kCkSize);
  std::memcpy(next.ks.data() + kCkSize, result.keys.ik.data(), kIkSize);
  next.updated_files["usim/6fd6"] = EfGbabpAfterBootstrap(rand, kEfGbabpSize);
  if (!Commit(std::move(next)).ok()) return Reply(card_sw::kTechnicalProblem);
  Reply reply({kAuthSuccessTag}, card_sw::kOk);
  AppendLv(reply.data, result.keys.res.view());
  return reply;
}

SoftUsim::Reply SoftUsim::GbaNafDerivation(ByteView data) {
  // `L1 NAF_Id L2 IMPI` (TS 31.102 §7.1.2.4, NAF derivation mode).
  if (data.empty() || data.size() < size_t{2} + data[0]) return Reply(card_sw::kWrongLength);
  const ByteView naf_id = data.subspan(1, data[0]);
  const size_t impi_length = data[1 + naf_id.size()];
  if (data.size() != 2 + naf_id.size() + impi_length) return Reply(card_sw::kWrongLength);
  const ByteView impi_bytes = data.subspan(2 + naf_id.size());
  if (naf_id.empty() || impi_bytes.empty()) return Reply(card_sw::kWrongData);
  // TS 33.220 Annex G.2 NOTE: a bootstrap must come first.
  if (state_.ks.empty()) return Reply(card_sw::kConditionsNotSatisfied);

  const std::string impi(impi_bytes.begin(), impi_bytes.end());
  // TS 33.220 B.3, computed on the card (Annex G.2): Ks_ext_NAF with P0 = "gba-me", and
  // Ks_int_NAF with P0 = "gba-u", which never leaves the card.
  absl::StatusOr<SecretBytes> ks_ext =
      Kdf(state_.ks, kFcGbaNafKey, {AsBytes(kP0GbaMe), state_.gba_rand, AsBytes(impi), naf_id});
  absl::StatusOr<SecretBytes> ks_int =
      Kdf(state_.ks, kFcGbaNafKey, {AsBytes(kP0GbaU), state_.gba_rand, AsBytes(impi), naf_id});
  if (!ks_ext.ok() || !ks_int.ok()) return Reply(card_sw::kTechnicalProblem);

  // The B-TID of the current bootstrap is what the terminal wrote into EF_GBABP.
  const CardFile* gbabp = files_->FindByKey("usim/6fd6");
  const std::string btid = gbabp != nullptr ? BtidFromEfGbabp(gbabp->contents) : std::string();
  if (!EncodeGbanlRecord(naf_id, btid, kEfGbanlRecordSize).ok()) {
    return Reply(card_sw::kNotEnoughMemory);
  }

  // Keep Ks_int_NAF with NAF_Id and B-TID in an EF_GBANL record; the same pair reuses its
  // record, otherwise a free one, otherwise the least recently used (TS 33.220 Annex G.2).
  CardState next = state_.Clone();
  const uint64_t use = ++next.naf_use_counter;
  auto same = std::find_if(next.naf_keys.begin(), next.naf_keys.end(), [&](const NafKeyEntry& e) {
    return std::equal(e.naf_id.begin(), e.naf_id.end(), naf_id.begin(), naf_id.end()) &&
           e.btid == btid;
  });
  NafKeyEntry* entry = nullptr;
  if (same != next.naf_keys.end()) {
    entry = &*same;
  } else if (next.naf_keys.size() < kEfGbanlRecords) {
    int record = 1;
    while (std::any_of(next.naf_keys.begin(), next.naf_keys.end(),
                       [&](const NafKeyEntry& e) { return e.record == record; })) {
      ++record;
    }
    NafKeyEntry fresh;
    fresh.record = record;
    next.naf_keys.push_back(std::move(fresh));
    entry = &next.naf_keys.back();
  } else {
    entry = &*std::min_element(
        next.naf_keys.begin(), next.naf_keys.end(),
        [](const NafKeyEntry& a, const NafKeyEntry& b) { return a.last_used < b.last_used; });
  }
  entry->naf_id.assign(naf_id.begin(), naf_id.end());
  entry->btid = btid;
  entry->ks_int_naf = *std::move(ks_int);
  entry->last_used = use;
  if (!Commit(std::move(next)).ok()) return Reply(card_sw::kTechnicalProblem);

  Reply reply({kAuthSuccessTag}, card_sw::kOk);
  AppendLv(reply.data, ks_ext->view());
  return reply;
}

}  // namespace gbabridge

#include "uicc/usim.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "uicc/card_error.h"
#include "uicc/ef_imsi.h"
#include "uicc/fcp.h"
#include "uicc/status_words.h"
#include "uicc/tlv.h"
#include "uicc/usim_apdus.h"

namespace gbabridge {
namespace {

using namespace usim;  // NOLINT(build/namespaces): the APDU table

// No USIM EF the client reads is larger than this; a bigger FCP file size is refused
// rather than trusted (bounds on lengths read from the card).
constexpr uint32_t kMaxTransparentSize = 4096;
// An IMPI is an NAI; RFC 7542 §2.2 lets one be 253 octets. EF_IMPI may hold no more.
constexpr size_t kMaxImpiLength = 253;

bool StartsWith(ByteView bytes, ByteView prefix) {
  return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

absl::Status Malformed(absl::string_view what) {
  return CardError(CardErrorReason::kMalformedResponse,
                   absl::StrCat("malformed card response: ", what));
}

// Reads one length-prefixed value (1-byte length) from `data` at `*pos`.
absl::StatusOr<ByteView> ReadLv(ByteView data, size_t* pos, absl::string_view name) {
  if (*pos >= data.size()) return Malformed(absl::StrCat(name, " length is missing"));
  const size_t len = data[*pos];
  if (data.size() - *pos - 1 < len) {
    return Malformed(absl::StrCat(name, " length ", len, " runs past the end of the data"));
  }
  ByteView value = data.subspan(*pos + 1, len);
  *pos += 1 + len;
  return value;
}

// The AUTHENTICATE data for RAND and AUTN: L RAND L AUTN after an optional mode tag
// (TS 31.102 §7.1.2.1 3G context; §7.1.2.4 GBA bootstrapping mode with tag DD).
Bytes RandAutnData(std::optional<uint8_t> mode_tag, ByteView rand, ByteView autn) {
  Bytes data;
  if (mode_tag.has_value()) data.push_back(*mode_tag);
  data.push_back(static_cast<uint8_t>(rand.size()));
  data.insert(data.end(), rand.begin(), rand.end());
  data.push_back(static_cast<uint8_t>(autn.size()));
  data.insert(data.end(), autn.begin(), autn.end());
  return data;
}

// Reads the start of an AUTHENTICATE answer (TS 31.102 §7.1.2.1): DC L AUTS is a
// synchronisation failure (returns true and fills *auts); DB starts a success whose fields
// follow at *pos (returns false). Anything else is malformed.
absl::StatusOr<bool> ReadAuthOutcome(ByteView d, size_t* pos, Bytes* auts) {
  if (d.empty()) return Malformed("AUTHENTICATE returned no data");
  *pos = 1;
  if (d[0] == kAuthSyncFailureTag) {
    absl::StatusOr<ByteView> value = ReadLv(d, pos, "AUTS");
    if (!value.ok()) return value.status();
    if (value->size() != kAutsSize) return Malformed("AUTS is not 14 bytes");
    auts->assign(value->begin(), value->end());
    return true;
  }
  if (d[0] != kAuthSuccessTag) return Malformed("AUTHENTICATE response tag is not DB or DC");
  return false;
}

absl::StatusOr<SecretBytes> ReadRes(ByteView d, size_t* pos) {
  absl::StatusOr<ByteView> res = ReadLv(d, pos, "RES");
  if (!res.ok()) return res.status();
  if (res->size() < 4 || res->size() > 16) return Malformed("RES is not 4 to 16 bytes");
  return SecretBytes::CopyFrom(*res);
}

CommandApdu Select(uint8_t p1, Bytes data) {
  return CommandApdu{.cla = kClaIso,
                     .ins = kInsSelect,
                     .p1 = p1,
                     .p2 = kSelectReturnFcp,
                     .data = std::move(data),
                     .le = kMaxShortLe};
}

Bytes FidBytes(uint16_t fid) {
  return {static_cast<uint8_t>(fid >> 8), static_cast<uint8_t>(fid & 0xff)};
}

}  // namespace

absl::Status StatusWordError(uint16_t sw, absl::string_view operation) {
  const std::string detail = absl::StrCat(operation, ": card answered ", DescribeStatusWord(sw));
  switch (sw) {
    case kSwSecurityStatusNotSatisfied:
      return CardError(CardErrorReason::kPinRequired, absl::StrCat("PIN required (", detail, ")"));
    case kSwAuthMethodBlocked:
      return CardError(CardErrorReason::kPinBlocked,
                       absl::StrCat("PIN blocked: unblock it with the PUK (", detail, ")"));
    case kSwConditionsNotSatisfied:
      return CardError(CardErrorReason::kConditionsNotSatisfied, detail);
    case kSwFileNotFound:
      return CardError(CardErrorReason::kFileNotFound, detail);
    case kSwAuthMacFailure:
      return CardError(
          CardErrorReason::kAuthMacFailure,
          absl::StrCat("network authentication failed: AUTN MAC invalid (", detail, ")"));
    default:
      if ((sw & 0xFFF0) == 0x63C0) {
        return CardError(CardErrorReason::kPinWrong,
                         absl::StrFormat("wrong PIN: %d tries left (%s)", sw & 0x0F, detail));
      }
      return CardError(CardErrorReason::kUnexpectedStatus, detail);
  }
}

Usim::Usim(CardTransport& channel) : channel_(channel) {}

bool Usim::HasService(ByteView ust, int service) {
  if (service < 1) return false;
  const size_t byte = static_cast<size_t>(service - 1) / 8;
  const int bit = (service - 1) % 8;
  return byte < ust.size() && (ust[byte] >> bit) & 1;
}

absl::StatusOr<Bytes> Usim::SelectAid(ByteView aid) {
  absl::StatusOr<ResponseApdu> r =
      channel_.Transmit(Select(kSelectByAid, Bytes(aid.begin(), aid.end())));
  if (!r.ok()) return r.status();
  if (r->sw == kSwFileNotFound) {
    return CardError(CardErrorReason::kApplicationNotFound,
                     absl::StrCat("application ", HexEncode(aid), " not found on the card"));
  }
  if (!r->ok()) return StatusWordError(r->sw, absl::StrCat("SELECT AID ", HexEncode(aid)));
  return std::move(r->data);
}

absl::StatusOr<Bytes> Usim::SelectFile(uint16_t fid) {
  absl::StatusOr<ResponseApdu> r = channel_.Transmit(Select(kSelectByFid, FidBytes(fid)));
  if (!r.ok()) return r.status();
  if (!r->ok()) return StatusWordError(r->sw, absl::StrFormat("SELECT %04X", fid));
  return std::move(r->data);
}

absl::StatusOr<CardApplications> Usim::ListApplications() {
  if (applications_.has_value()) return *applications_;
  ScopedTransaction tx(channel_);
  if (!tx.status().ok()) return tx.status();

  CardApplications apps;
  absl::Status mf = SelectFile(kFidMf).status();
  absl::StatusOr<std::vector<Bytes>> records =
      mf.ok() ? ReadAllRecords(kFidEfDir) : absl::StatusOr<std::vector<Bytes>>(mf);
  if (records.ok()) {
    for (const Bytes& record : *records) {
      absl::StatusOr<std::vector<TlvView>> tlvs = ParseTlvList(record);
      if (!tlvs.ok()) continue;  // an unreadable record is skipped, not fatal
      std::optional<TlvView> app = FindTlv(*tlvs, kTagApplicationTemplate);
      if (!app.has_value()) continue;
      absl::StatusOr<std::vector<TlvView>> inner = ParseTlvList(app->value);
      if (!inner.ok()) continue;
      std::optional<TlvView> aid = FindTlv(*inner, kTagAid);
      if (!aid.has_value()) continue;
      if (apps.usim_aid.empty() && StartsWith(aid->value, kUsimAidPrefix)) {
        apps.usim_aid.assign(aid->value.begin(), aid->value.end());
      } else if (!apps.isim_aid.has_value() && StartsWith(aid->value, kIsimAidPrefix)) {
        apps.isim_aid = Bytes(aid->value.begin(), aid->value.end());
      }
    }
  } else if (!absl::IsNotFound(records.status()) &&
             GetCardErrorReason(records.status()) != CardErrorReason::kMalformedResponse) {
    return records.status();  // transport trouble: do not guess
  }

  if (apps.usim_aid.empty()) {
    // TS 102 221 §8.4.2: select by a right-truncated AID; take the full AID from the FCP.
    absl::StatusOr<Bytes> fcp_bytes = SelectAid(kUsimAidPrefix);
    if (!fcp_bytes.ok()) {
      if (GetCardErrorReason(fcp_bytes.status()) == CardErrorReason::kApplicationNotFound) {
        return CardError(CardErrorReason::kApplicationNotFound,
                         "no USIM application on the card (not in EF_DIR, and selecting the "
                         "USIM AID prefix failed)");
      }
      return fcp_bytes.status();
    }
    absl::StatusOr<Fcp> fcp = ParseFcp(*fcp_bytes);
    if (fcp.ok() && !fcp->df_name.empty()) {
      apps.usim_aid = fcp->df_name;
    } else {
      apps.usim_aid.assign(std::begin(kUsimAidPrefix), std::end(kUsimAidPrefix));
    }
  }
  applications_ = apps;
  return apps;
}

absl::Status Usim::SelectUsimApplication() {
  absl::StatusOr<CardApplications> apps = ListApplications();
  if (!apps.ok()) return apps.status();
  return SelectAid(apps->usim_aid).status();
}

absl::Status Usim::InSession(const std::function<absl::Status()>& op) {
  for (int attempt = 0;; ++attempt) {
    absl::Status status;
    {
      ScopedTransaction tx(channel_);
      status = tx.status();
      if (status.ok()) status = SelectUsimApplication();
      if (status.ok()) status = op();
    }
    // A reset by another PC/SC client loses our selection; the channel has reconnected,
    // so select again and run once more. The failed APDU never reached the card.
    if (attempt == 0 && GetCardErrorReason(status) == CardErrorReason::kCardReset) continue;
    return status;
  }
}

absl::StatusOr<Bytes> Usim::ReadTransparent(uint16_t fid) {
  absl::StatusOr<Bytes> fcp_bytes = SelectFile(fid);
  if (!fcp_bytes.ok()) return fcp_bytes.status();
  absl::StatusOr<Fcp> fcp = ParseFcp(*fcp_bytes);
  if (!fcp.ok()) return fcp.status();
  if (fcp->structure != FileStructure::kTransparent) {
    return Malformed(absl::StrFormat("EF %04X is not transparent", fid));
  }
  if (!fcp->file_size.has_value()) return Malformed(absl::StrFormat("EF %04X has no size", fid));
  if (*fcp->file_size > kMaxTransparentSize) {
    return Malformed(absl::StrFormat("EF %04X claims %u bytes, more than the %u accepted", fid,
                                     *fcp->file_size, kMaxTransparentSize));
  }
  Bytes content;
  content.reserve(*fcp->file_size);
  while (content.size() < *fcp->file_size) {
    const size_t offset = content.size();
    const uint32_t chunk =
        std::min<uint32_t>(kMaxShortLe, *fcp->file_size - static_cast<uint32_t>(offset));
    absl::StatusOr<ResponseApdu> r =
        channel_.Transmit(CommandApdu{.cla = kClaIso,
                                      .ins = kInsReadBinary,
                                      .p1 = static_cast<uint8_t>(offset >> 8),
                                      .p2 = static_cast<uint8_t>(offset & 0xff),
                                      .data = {},
                                      .le = chunk});
    if (!r.ok()) return r.status();
    if (!r->ok()) return StatusWordError(r->sw, absl::StrFormat("READ BINARY %04X", fid));
    if (r->data.empty() || r->data.size() > chunk) {
      return Malformed(absl::StrFormat("READ BINARY %04X returned %u bytes for Le %u", fid,
                                       r->data.size(), chunk));
    }
    content.insert(content.end(), r->data.begin(), r->data.end());
  }
  return content;
}

absl::StatusOr<std::vector<Bytes>> Usim::ReadAllRecords(uint16_t fid) {
  absl::StatusOr<Bytes> fcp_bytes = SelectFile(fid);
  if (!fcp_bytes.ok()) return fcp_bytes.status();
  absl::StatusOr<Fcp> fcp = ParseFcp(*fcp_bytes);
  if (!fcp.ok()) return fcp.status();
  if (!fcp->record_size.has_value() || !fcp->record_count.has_value() || *fcp->record_size == 0 ||
      *fcp->record_size > 255) {
    return Malformed(
        absl::StrFormat("EF %04X is not a record file with a usable record size", fid));
  }
  std::vector<Bytes> records;
  for (int n = 1; n <= *fcp->record_count; ++n) {
    absl::StatusOr<ResponseApdu> r = channel_.Transmit(CommandApdu{.cla = kClaIso,
                                                                   .ins = kInsReadRecord,
                                                                   .p1 = static_cast<uint8_t>(n),
                                                                   .p2 = kReadRecordAbsolute,
                                                                   .data = {},
                                                                   .le = *fcp->record_size});
    if (!r.ok()) return r.status();
    if (!r->ok()) return StatusWordError(r->sw, absl::StrFormat("READ RECORD %04X #%d", fid, n));
    if (r->data.size() > *fcp->record_size) {
      return Malformed(
          absl::StrFormat("record %d of EF %04X is longer than its record size", n, fid));
    }
    records.push_back(std::move(r->data));
  }
  return records;
}

absl::StatusOr<Bytes> Usim::ReadIccid() {
  ScopedTransaction tx(channel_);
  if (!tx.status().ok()) return tx.status();
  absl::Status mf = SelectFile(kFidMf).status();
  if (!mf.ok()) return mf;
  return ReadTransparent(kFidEfIccid);
}

absl::StatusOr<Imsi> Usim::ReadImsiLocked() {
  absl::StatusOr<Bytes> raw = ReadTransparent(kFidEfImsi);
  if (!raw.ok()) return raw.status();
  absl::StatusOr<std::string> digits = DecodeEfImsi(*raw);
  if (!digits.ok()) return Malformed(digits.status().message());
  // EF_AD is optional in practice; without it the MNC length defaults to 2
  // (TS 31.102 §4.2.18 makes byte 4 optional).
  int mnc_length = 2;
  absl::StatusOr<Bytes> ad = ReadTransparent(kFidEfAd);
  if (ad.ok()) {
    absl::StatusOr<int> len = MncLengthFromEfAd(*ad);
    if (!len.ok()) return Malformed(len.status().message());
    mnc_length = *len;
  } else if (!absl::IsNotFound(ad.status())) {
    return ad.status();
  }
  return MakeImsi(*digits, mnc_length);
}

absl::StatusOr<Imsi> Usim::ReadImsi() {
  absl::StatusOr<Imsi> imsi;
  absl::Status s = InSession([&] {
    imsi = ReadImsiLocked();
    return imsi.status();
  });
  if (!s.ok()) return s;
  return imsi;
}

absl::StatusOr<Bytes> Usim::ReadUst() {
  absl::StatusOr<Bytes> ust;
  absl::Status s = InSession([&] {
    ust = ReadTransparent(kFidEfUst);
    return ust.status();
  });
  if (!s.ok()) return s;
  return ust;
}

absl::StatusOr<bool> Usim::IsGbaCapable() {
  absl::StatusOr<Bytes> ust = ReadUst();
  if (!ust.ok()) return ust.status();
  return HasService(*ust, kUstServiceGba);
}

absl::StatusOr<std::optional<std::string>> Usim::ReadIsimImpiLocked() {
  if (!applications_.has_value() || !applications_->isim_aid.has_value()) {
    return std::optional<std::string>();
  }
  absl::Status s = SelectAid(*applications_->isim_aid).status();
  if (!s.ok()) return s;
  absl::StatusOr<Bytes> raw = ReadTransparent(kFidEfImpi);
  if (!raw.ok()) return raw.status();
  // TS 31.103 §4.2.2: TLV tag 80 holds the NAI (UTF-8); the rest is FF padding.
  size_t consumed = 0;
  absl::StatusOr<TlvView> tlv = ParseTlv(*raw, &consumed);
  if (!tlv.ok() || tlv->tag != 0x80 || tlv->value.empty()) {
    return Malformed("EF_IMPI does not hold a tag-80 NAI");
  }
  // The IMPI becomes the Digest username and goes into logs and the BSF's database: only an
  // NAI (RFC 7542: user@realm) of printable ASCII, no spaces, no quotes or backslashes that
  // would change the Authorization header (TS 23.003 §13.3).
  const ByteView nai(tlv->value.data(), tlv->value.size());
  const bool printable = std::all_of(nai.begin(), nai.end(), [](uint8_t c) {
    return c > 0x20 && c < 0x7F && c != '"' && c != '\\';
  });
  const size_t at = std::find(nai.begin(), nai.end(), '@') - nai.begin();
  if (!printable || nai.size() > kMaxImpiLength || at == 0 || at + 1 >= nai.size()) {
    return Malformed(
        absl::StrCat("EF_IMPI does not hold an NAI of printable ASCII (user@realm, "
                     "at most ",
                     kMaxImpiLength, " characters)"));
  }
  return std::optional<std::string>(std::in_place, tlv->value.begin(), tlv->value.end());
}

absl::StatusOr<std::optional<std::string>> Usim::ReadIsimImpi() {
  absl::StatusOr<std::optional<std::string>> impi;
  absl::Status s = InSession([&] {
    impi = ReadIsimImpiLocked();
    return impi.status();
  });
  if (!s.ok()) return s;
  return impi;
}

absl::StatusOr<std::string> Usim::ResolveImpi() {
  absl::StatusOr<std::optional<std::string>> isim = ReadIsimImpi();
  if (!isim.ok()) return isim.status();
  if (isim->has_value()) return **isim;
  absl::StatusOr<Imsi> imsi = ReadImsi();
  if (!imsi.ok()) return imsi.status();
  return DeriveImpi(*imsi);
}

absl::StatusOr<PinState> Usim::GetPinState() {
  PinState state;
  absl::Status s = InSession([&]() -> absl::Status {
    // The USIM ADF's FCP says whether PIN1 is enabled (PS_DO in tag C6, TS 102 221 §9.5.2).
    absl::StatusOr<Bytes> fcp_bytes = SelectAid(applications_->usim_aid);
    if (!fcp_bytes.ok()) return fcp_bytes.status();
    absl::StatusOr<Fcp> fcp = ParseFcp(*fcp_bytes);
    if (!fcp.ok()) return fcp.status();
    for (const PinStatus& pin : fcp->pins) {
      if (pin.key_reference == kPin1KeyReference) state.enabled = pin.enabled;
    }
    // An empty VERIFY asks for the retry counter without presenting a PIN
    // (TS 102 221 §11.1.9): 9000 = verified or not needed, 63Cx = x tries, 6983 = blocked.
    absl::StatusOr<ResponseApdu> r = channel_.Transmit(CommandApdu{.cla = kClaIso,
                                                                   .ins = kInsVerify,
                                                                   .p1 = 0,
                                                                   .p2 = kPin1KeyReference,
                                                                   .data = {},
                                                                   .le = std::nullopt});
    if (!r.ok()) return r.status();
    if (r->ok()) {
      state.verified = true;
    } else if ((r->sw & 0xFFF0) == 0x63C0) {
      state.tries_left = r->sw & 0x0F;
    } else if (r->sw == kSwAuthMethodBlocked) {
      state.blocked = true;
      state.tries_left = 0;
    } else if (!state.enabled && (r->sw == kSwWrongLength || r->sw == kSwInsNotSupported)) {
      // Some cards refuse the 4-byte VERIFY (no Lc) with 6700 or 6D00. With PIN1 disabled
      // by the FCP's PS_DO nothing needs verifying: carry on, the retry count unknown.
      state.verified = true;
    } else {
      return StatusWordError(r->sw, "VERIFY (retry counter)");
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return state;
}

absl::Status Usim::VerifyPin(std::string_view pin) {
  if (pin.size() < 4 || pin.size() > kPinBlockSize ||
      !std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return absl::InvalidArgumentError("a PIN is 4 to 8 decimal digits");
  }
  return InSession([&]() -> absl::Status {
    CommandApdu verify{.cla = kClaIso,
                       .ins = kInsVerify,
                       .p1 = 0,
                       .p2 = kPin1KeyReference,
                       .data = Bytes(kPinBlockSize, 0xFF),
                       .le = std::nullopt};
    std::copy(pin.begin(), pin.end(), verify.data.begin());
    absl::StatusOr<ResponseApdu> r = channel_.Transmit(verify);
    Cleanse(std::span<uint8_t>(verify.data));
    if (!r.ok()) return r.status();
    if (!r->ok()) return StatusWordError(r->sw, "VERIFY PIN");
    return absl::OkStatus();
  });
}

absl::StatusOr<ResponseApdu> Usim::Authenticate(uint8_t context, Bytes data) {
  CommandApdu command{.cla = kClaIso,
                      .ins = kInsAuthenticate,
                      .p1 = 0,
                      .p2 = context,
                      .data = std::move(data),
                      .le = kMaxShortLe};
  absl::StatusOr<ResponseApdu> r = channel_.Transmit(command);
  Cleanse(std::span<uint8_t>(command.data));
  if (!r.ok()) return r.status();
  if (r->ok()) return r;
  if (context == kAuthContextGba && (r->sw == kSwWrongP1P2 || r->sw == kSwInsNotSupported ||
                                     r->sw == 0x9864 || r->sw == 0x6A81)) {
    return CardError(CardErrorReason::kGbaNotSupported,
                     absl::StrCat("the card does not support the GBA security context (",
                                  DescribeStatusWord(r->sw), ")"));
  }
  return StatusWordError(r->sw, "AUTHENTICATE");
}

absl::StatusOr<Auth3gResult> Usim::Authenticate3g(ByteView rand, ByteView autn) {
  if (rand.size() != kRandSize || autn.size() != kAutnSize) {
    return absl::InvalidArgumentError("RAND and AUTN must be 16 bytes each");
  }
  Auth3gResult result;
  absl::Status s = InSession([&]() -> absl::Status {
    absl::StatusOr<ResponseApdu> r =
        Authenticate(kAuthContext3g, RandAutnData(std::nullopt, rand, autn));
    if (!r.ok()) return r.status();
    // TS 31.102 §7.1.2.1: DB L RES L CK L IK [L Kc], or DC L AUTS.
    const ByteView d = r->data;
    size_t pos = 0;
    absl::StatusOr<bool> sync_failure = ReadAuthOutcome(d, &pos, &result.auts);
    if (!sync_failure.ok()) return sync_failure.status();
    result.sync_failure = *sync_failure;
    if (result.sync_failure) return absl::OkStatus();
    absl::StatusOr<SecretBytes> res = ReadRes(d, &pos);
    if (!res.ok()) return res.status();
    absl::StatusOr<ByteView> ck = ReadLv(d, &pos, "CK");
    if (!ck.ok()) return ck.status();
    absl::StatusOr<ByteView> ik = ReadLv(d, &pos, "IK");
    if (!ik.ok()) return ik.status();
    if (ck->size() != kCkSize || ik->size() != kIkSize)
      return Malformed("CK or IK is not 16 bytes");
    result.res = std::move(*res);
    result.ck = SecretBytes::CopyFrom(*ck);
    result.ik = SecretBytes::CopyFrom(*ik);
    if (pos < d.size()) {  // Kc is present when service n°27 (GSM access) is available
      absl::StatusOr<ByteView> kc = ReadLv(d, &pos, "Kc");
      if (!kc.ok()) return kc.status();
      if (kc->size() != 8) return Malformed("Kc is not 8 bytes");
      result.kc = SecretBytes::CopyFrom(*kc);
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<GbaBootstrapResult> Usim::AuthenticateGbaBootstrap(ByteView rand, ByteView autn) {
  if (rand.size() != kRandSize || autn.size() != kAutnSize) {
    return absl::InvalidArgumentError("RAND and AUTN must be 16 bytes each");
  }
  GbaBootstrapResult result;
  absl::Status s = InSession([&]() -> absl::Status {
    // TS 31.102 §7.1.2.4, bootstrapping mode: DD L RAND L AUTN -> DB L RES or DC L AUTS.
    absl::StatusOr<ResponseApdu> r =
        Authenticate(kAuthContextGba, RandAutnData(kGbaBootstrapTag, rand, autn));
    if (!r.ok()) return r.status();
    size_t pos = 0;
    absl::StatusOr<bool> sync_failure = ReadAuthOutcome(r->data, &pos, &result.auts);
    if (!sync_failure.ok()) return sync_failure.status();
    result.sync_failure = *sync_failure;
    if (result.sync_failure) return absl::OkStatus();
    absl::StatusOr<SecretBytes> res = ReadRes(r->data, &pos);
    if (!res.ok()) return res.status();
    result.res = std::move(*res);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return result;
}

absl::StatusOr<SecretBytes> Usim::DeriveKsExtNaf(ByteView naf_id, std::string_view impi) {
  absl::StatusOr<SecretBytes> key;
  absl::Status s = InSession([&]() -> absl::Status {
    key = DeriveKsExtNafLocked(naf_id, impi);
    return key.status();
  });
  if (!s.ok()) return s;
  return key;
}

absl::StatusOr<SecretBytes> Usim::DeriveKsExtNafForBootstrap(ByteView naf_id, std::string_view impi,
                                                             ByteView rand, std::string_view btid) {
  absl::StatusOr<SecretBytes> key;
  absl::Status s = InSession([&]() -> absl::Status {
    // One transaction: no other PC/SC client can bootstrap between the check and the
    // derivation.
    absl::StatusOr<GbaBootstrapParameters> on_card = ReadGbaBootstrapParametersLocked();
    const absl::string_view ours(btid.data(), btid.size());
    if (!on_card.ok()) {
      // A file that does not parse (a write cut short, or another client's) names no
      // bootstrap at all: the same as another one, and a new bootstrap rewrites it.
      if (GetCardErrorReason(on_card.status()) != CardErrorReason::kMalformedResponse) {
        return on_card.status();
      }
      return CardError(
          CardErrorReason::kGbaBootstrapChanged,
          absl::StrCat("EF_GBABP on the card does not parse (", on_card.status().message(),
                       "), so it names no bootstrap; bootstrap again"));
    }
    if (!std::equal(on_card->rand.begin(), on_card->rand.end(), rand.begin(), rand.end())) {
      return CardError(CardErrorReason::kGbaBootstrapChanged,
                       absl::StrCat("the card no longer holds the Ks of B-TID ", ours,
                                    ": EF_GBABP holds another RAND (the card was bootstrapped "
                                    "again, possibly by another PC/SC client, or a bootstrap "
                                    "was cut short); bootstrap again"));
    }
    if (on_card->btid != btid) {
      // The same RAND, so the same Ks, but EF_GBABP names another B-TID (or none): the
      // card's view of its bootstrap is not the session's, so trust neither.
      return CardError(CardErrorReason::kGbaBootstrapChanged,
                       absl::StrCat("EF_GBABP on the card names B-TID \"",
                                    absl::CHexEscape(on_card->btid),  // card bytes: escaped
                                    "\", not this session's ", ours, "; bootstrap again"));
    }
    key = DeriveKsExtNafLocked(naf_id, impi);
    return key.status();
  });
  if (!s.ok()) return s;
  return key;
}

absl::StatusOr<SecretBytes> Usim::DeriveKsExtNafLocked(ByteView naf_id, std::string_view impi) {
  // One length byte each, and the whole command must fit a short APDU.
  if (naf_id.empty() || impi.empty() || naf_id.size() > 255 || impi.size() > 255 ||
      3 + naf_id.size() + impi.size() > kMaxShortLc) {
    return absl::InvalidArgumentError(
        "NAF_Id and IMPI must be non-empty and together fit one AUTHENTICATE (252 bytes)");
  }
  // TS 31.102 §7.1.2.4, NAF derivation mode: DE L NAF_ID L IMPI -> DB L Ks_ext_NAF.
  Bytes data = {kGbaNafDerivationTag, static_cast<uint8_t>(naf_id.size())};
  data.insert(data.end(), naf_id.begin(), naf_id.end());
  data.push_back(static_cast<uint8_t>(impi.size()));
  data.insert(data.end(), impi.begin(), impi.end());
  absl::StatusOr<ResponseApdu> r = Authenticate(kAuthContextGba, std::move(data));
  if (!r.ok()) return r.status();
  const ByteView d = r->data;
  if (d.empty() || d[0] != kAuthSuccessTag) return Malformed("NAF derivation tag is not DB");
  size_t pos = 1;
  absl::StatusOr<ByteView> ks = ReadLv(d, &pos, "Ks_ext_NAF");
  if (!ks.ok()) return ks.status();
  if (ks->size() != 32) return Malformed("Ks_ext_NAF is not 32 bytes");
  return SecretBytes::CopyFrom(*ks);
}

absl::StatusOr<GbaBootstrapParameters> Usim::ReadGbaBootstrapParameters() {
  absl::StatusOr<GbaBootstrapParameters> params;
  absl::Status s = InSession([&]() -> absl::Status {
    params = ReadGbaBootstrapParametersLocked();
    return params.status();
  });
  if (!s.ok()) return s;
  return params;
}

absl::StatusOr<GbaBootstrapParameters> Usim::ReadGbaBootstrapParametersLocked() {
  absl::StatusOr<Bytes> raw = ReadTransparent(kFidEfGbabp);
  if (!raw.ok()) return raw.status();
  // TS 31.102 §4.2.79: L RAND, L B-TID, L key lifetime.
  size_t pos = 0;
  absl::StatusOr<ByteView> rand = ReadLv(*raw, &pos, "EF_GBABP RAND");
  if (!rand.ok()) return rand.status();
  absl::StatusOr<ByteView> btid = ReadLv(*raw, &pos, "EF_GBABP B-TID");
  if (!btid.ok()) return btid.status();
  absl::StatusOr<ByteView> lifetime = ReadLv(*raw, &pos, "EF_GBABP lifetime");
  if (!lifetime.ok()) return lifetime.status();
  GbaBootstrapParameters params;
  params.rand.assign(rand->begin(), rand->end());
  params.btid.assign(btid->begin(), btid->end());
  params.key_lifetime.assign(lifetime->begin(), lifetime->end());
  return params;
}

absl::Status Usim::WriteGbaBootstrapParameters(const GbaBootstrapParameters& params) {
  if (params.rand.size() > 255 || params.btid.size() > 255 || params.key_lifetime.size() > 255) {
    return absl::InvalidArgumentError("EF_GBABP fields are at most 255 bytes each");
  }
  Bytes encoded;
  auto append_lv = [&encoded](ByteView v) {
    encoded.push_back(static_cast<uint8_t>(v.size()));
    encoded.insert(encoded.end(), v.begin(), v.end());
  };
  append_lv(params.rand);
  append_lv(AsBytes(params.btid));
  append_lv(AsBytes(params.key_lifetime));
  return InSession([&]() -> absl::Status {
    absl::StatusOr<Bytes> fcp_bytes = SelectFile(kFidEfGbabp);
    if (!fcp_bytes.ok()) return fcp_bytes.status();
    absl::StatusOr<Fcp> fcp = ParseFcp(*fcp_bytes);
    if (!fcp.ok()) return fcp.status();
    if (!fcp->file_size.has_value() || *fcp->file_size < encoded.size() ||
        *fcp->file_size > kMaxTransparentSize) {
      return absl::FailedPreconditionError(absl::StrFormat(
          "EF_GBABP is too small for these parameters (%u bytes needed)", encoded.size()));
    }
    Bytes content = encoded;
    content.resize(*fcp->file_size, 0xFF);  // unused bytes are FF (TS 31.102 §4.2.79)
    for (size_t offset = 0; offset < content.size(); offset += kMaxShortLc) {
      const size_t n = std::min(kMaxShortLc, content.size() - offset);
      absl::StatusOr<ResponseApdu> r = channel_.Transmit(
          CommandApdu{.cla = kClaIso,
                      .ins = kInsUpdateBinary,
                      .p1 = static_cast<uint8_t>(offset >> 8),
                      .p2 = static_cast<uint8_t>(offset & 0xff),
                      .data = Bytes(content.begin() + static_cast<ptrdiff_t>(offset),
                                    content.begin() + static_cast<ptrdiff_t>(offset + n)),
                      .le = std::nullopt});
      if (!r.ok()) return r.status();
      if (!r->ok()) return StatusWordError(r->sw, "UPDATE BINARY EF_GBABP");
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<std::vector<GbaNafEntry>> Usim::ReadGbaNafList() {
  std::vector<GbaNafEntry> entries;
  absl::Status s = InSession([&]() -> absl::Status {
    absl::StatusOr<std::vector<Bytes>> records = ReadAllRecords(kFidEfGbanl);
    if (!records.ok()) return records.status();
    for (const Bytes& record : *records) {
      if (record.empty() || record[0] == 0xFF) continue;  // empty record
      absl::StatusOr<std::vector<TlvView>> tlvs = ParseTlvList(record);
      if (!tlvs.ok()) return Malformed("EF_GBANL record is not valid TLV");
      std::optional<TlvView> naf = FindTlv(*tlvs, 0x80);
      std::optional<TlvView> btid = FindTlv(*tlvs, 0x81);
      if (!naf.has_value()) continue;
      GbaNafEntry entry;
      entry.naf_id.assign(naf->value.begin(), naf->value.end());
      if (btid.has_value()) entry.btid.assign(btid->value.begin(), btid->value.end());
      entries.push_back(std::move(entry));
    }
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return entries;
}

}  // namespace gbabridge

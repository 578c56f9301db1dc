// The Zn dictionary and message readers on Diameter messages encoded by hand here, octet by
// octet from RFC 6733 §3 (header) and §4.1 (AVP header, padding) with the TS 29.109 §6.3
// AVP codes: an encoding independent of freeDiameter's, which then parses it.
#include "proto/zn_diameter/zn_messages.h"

// clang-format off
#include <freeDiameter/freeDiameter-host.h>
#include <freeDiameter/libfdproto.h>
// clang-format on

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/zn_diameter/zn_dictionary.h"
#include "tests/unit/zn_diameter/diameter_wire.h"
#include "uicc/base/bytes.h"
#include "uicc/base/secret_bytes.h"

namespace gbabridge::zn_diameter {
namespace {

using ::testing::HasSubstr;
using namespace ::gbabridge::diameter_wire;  // NOLINT: the encoder's small vocabulary

// The message as it would go on the wire (fd_msg_bufferize).
Bytes Serialize(msg* m) {
  uint8_t* buffer = nullptr;
  size_t length = 0;
  if (fd_msg_bufferize(m, &buffer, &length) != 0) return {};
  Bytes out(buffer, buffer + length);
  std::free(buffer);
  return out;
}

const Bytes kNafId = Cat({Text("mef.example.com"), Bytes{0x01, 0x00, 0x01, 0x00, 0xAE}});
const std::string kBtid = "3tbM3b7HKtH+pIz6Is5HXA==@bsf.test.example";

Bytes RequestAvps(bool with_naf_id = true) {
  return Cat({Avp(263, kM, Text("naf.example.com;1;zn")),  // Session-Id
              Avp(260, kM,                                 // Vendor-Specific-Application-Id
                  Cat({Avp(266, kM, U32(10415)), Avp(258, kM, U32(16777220))})),
              Avp(264, kM, Text("naf.example.com")),             // Origin-Host
              Avp(296, kM, Text("example.com")),                 // Origin-Realm
              Avp(283, kM, Text("test.example")),                // Destination-Realm
              Zn(403, Text("gsid-1")), Zn(403, Text("gsid-2")),  // GAA-Service-Identifier
              Zn(401, Text(kBtid)),                              // Transaction-Identifier
              with_naf_id ? Zn(402, kNafId) : Bytes{},           // NAF-Id
              Zn(407, U32(1))});                                 // GBA_U-Awareness: YES
}

class ZnMessagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<StandaloneZnDictionary> d = GetStandaloneZnDictionary();
    ASSERT_TRUE(d.ok()) << d.status();
    dict_ = *d;
  }
  StandaloneZnDictionary dict_;
};

TEST_F(ZnMessagesTest, HandEncodedRequestParsesAsZn) {
  absl::StatusOr<msg*> m = ParseMessage(dict_.dict, Message(0xC0, RequestAvps()));
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<ZnQuery> query = ReadZnRequest(dict_.zn, *m);
  FreeMessage(*m);
  ASSERT_TRUE(query.ok()) << query.status();
  EXPECT_EQ(query->btid, kBtid);
  EXPECT_EQ(HexEncode(query->naf_id), HexEncode(kNafId));  // binary, Ua id included
  EXPECT_THAT(query->gsids, ::testing::ElementsAre("gsid-1", "gsid-2"));
  EXPECT_TRUE(query->gba_u_aware);
}

TEST_F(ZnMessagesTest, MissingNafIdBreaksTheCommandRules) {
  absl::StatusOr<msg*> m = ParseMessage(dict_.dict, Message(0xC0, RequestAvps(false)));
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(std::string(m.status().message()), HasSubstr("DIAMETER_MISSING_AVP"));
}

TEST_F(ZnMessagesTest, MalformedLengthsAreRefusedCleanly) {
  Bytes message = Message(0xC0, RequestAvps());
  Bytes short_avp = message;
  short_avp[20 + 5] = 0;  // Session-Id's length -> below its own header
  short_avp[20 + 6] = 0;
  short_avp[20 + 7] = 4;
  EXPECT_FALSE(ParseMessage(dict_.dict, short_avp).ok());
  Bytes truncated(message.begin(), message.begin() + 30);
  EXPECT_FALSE(ParseMessage(dict_.dict, truncated).ok());
  EXPECT_FALSE(ParseMessage(dict_.dict, Bytes(12, 0)).ok());
}

TEST_F(ZnMessagesTest, BadValuesNameTheAvp) {
  // A NAF-Id shorter than the Ua id, an awareness value out of its enum.
  Bytes avps = Cat({Avp(263, kM, Text("s")),
                    Avp(260, kM, Cat({Avp(266, kM, U32(10415)), Avp(258, kM, U32(16777220))})),
                    Avp(264, kM, Text("naf.example.com")), Avp(296, kM, Text("example.com")),
                    Avp(283, kM, Text("test.example")), Zn(401, Text(kBtid)),
                    Zn(402, Bytes{0x01, 0x00}), Zn(407, U32(1))});
  absl::StatusOr<msg*> m = ParseMessage(dict_.dict, Message(0xC0, avps));
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<ZnQuery> query = ReadZnRequest(dict_.zn, *m);
  FreeMessage(*m);
  ASSERT_FALSE(query.ok());
  EXPECT_THAT(std::string(query.status().message()), HasSubstr("NAF-Id of 2 octets"));
}

TEST_F(ZnMessagesTest, AnswerWithExperimentalResult5403) {
  Bytes avps = Cat({Avp(263, kM, Text("s")),
                    Avp(297, kM, Cat({Avp(266, kM, U32(10415)), Avp(298, kM, U32(5403))})),
                    Avp(264, kM, Text("bsf.test.example")), Avp(296, kM, Text("test.example"))});
  absl::StatusOr<msg*> m = ParseMessage(dict_.dict, Message(0x40, avps));
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<ZnResult> result = ReadZnResult(dict_.zn, *m);
  FreeMessage(*m);
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->experimental);
  EXPECT_EQ(result->code, 5403u);
  EXPECT_EQ(ResultCodeName(result->code), "DIAMETER_ERROR_TRANSACTION_IDENTIFIER_INVALID");
}

TEST_F(ZnMessagesTest, SuccessAnswerGivesKeysAndNtpTimes) {
  const Bytes key(32, 0x5A);
  // 2026-12-07T00:00:00Z = Unix 1796601600 = NTP 1796601600 + 2208988800 = 0xEEC07580.
  const Bytes expiry = U32(0xEEC07580u);
  Bytes avps = Cat({Avp(263, kM, Text("s")), Avp(268, kM, U32(2001)),  // Result-Code
                    Avp(264, kM, Text("bsf.test.example")), Avp(296, kM, Text("test.example")),
                    Avp(1, kM, Text("001010123456789@ims.mnc001.mcc001.3gppnetwork.org")),
                    Zn(405, key), Zn(404, expiry), Zn(408, expiry), Zn(410, U32(0))});
  absl::StatusOr<msg*> m = ParseMessage(dict_.dict, Message(0x40, avps));
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<ZnResult> result = ReadZnResult(dict_.zn, *m);
  ASSERT_TRUE(result.ok() && result->success()) << result.status();
  absl::StatusOr<ZnKeyAnswer> keys = ReadZnKeyAnswer(dict_.zn, *m);
  FreeMessage(*m);
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ(HexEncode(keys->me_key.view()), HexEncode(key));
  EXPECT_FALSE(keys->uicc_key.has_value());
  EXPECT_EQ(keys->key_expiry, absl::FromUnixSeconds(1796601600));
  EXPECT_EQ(HexEncode(EncodeNtpTime(absl::FromUnixSeconds(1796601600))), "eec07580");
  EXPECT_EQ(HexEncode(EncodeNtpTime(absl::UnixEpoch())), "83aa7e80");  // RFC 868's offset
  EXPECT_FALSE(DecodeNtpTime(Bytes{1, 2, 3}).ok());
}

TEST_F(ZnMessagesTest, ShortKeyMaterialIsDataLoss) {
  Bytes avps =
      Cat({Avp(263, kM, Text("s")), Avp(268, kM, U32(2001)), Avp(264, kM, Text("bsf.test.example")),
           Avp(296, kM, Text("test.example")), Avp(1, kM, Text("impi@example")),
           Zn(405, Bytes(16, 1)), Zn(404, U32(0xEEC07580u))});
  absl::StatusOr<msg*> m = ParseMessage(dict_.dict, Message(0x40, avps));
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<ZnKeyAnswer> keys = ReadZnKeyAnswer(dict_.zn, *m);
  FreeMessage(*m);
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(ZnMessagesTest, AZnCodeFromAnotherVendorIsNotTakenForZns) {
  Bytes avps = Cat({Avp(263, kM, Text("s")),
                    Avp(297, kM, Cat({Avp(266, kM, U32(9)), Avp(298, kM, U32(5403))})),
                    Avp(264, kM, Text("bsf.test.example")), Avp(296, kM, Text("test.example"))});
  absl::StatusOr<msg*> m = ParseMessage(dict_.dict, Message(0x40, avps));
  ASSERT_TRUE(m.ok()) << m.status();
  absl::StatusOr<ZnResult> result = ReadZnResult(dict_.zn, *m);
  FreeMessage(*m);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("from vendor 9"));
}

// RFC 6733 §7.1.5, §7.5: a refused value comes back in Failed-AVP, as a copy of the AVP.
TEST_F(ZnMessagesTest, TheRefusedAvpIsCopiedIntoFailedAvp) {
  Bytes avps = Cat({Avp(263, kM, Text("s")),
                    Avp(260, kM, Cat({Avp(266, kM, U32(10415)), Avp(258, kM, U32(16777220))})),
                    Avp(264, kM, Text("naf.example.com")), Avp(296, kM, Text("example.com")),
                    Avp(283, kM, Text("test.example")), Zn(401, Text(kBtid)), Zn(402, kNafId),
                    Zn(407, U32(7))});
  absl::StatusOr<msg*> request = ParseMessage(dict_.dict, Message(0xC0, avps));
  ASSERT_TRUE(request.ok()) << request.status();
  avp* offending = nullptr;
  absl::StatusOr<ZnQuery> query = ReadZnRequest(dict_.zn, *request, &offending);
  ASSERT_FALSE(query.ok());
  ASSERT_NE(offending, nullptr);
  msg* answer = nullptr;
  ASSERT_EQ(fd_msg_new(dict_.zn.answer, 0, &answer), 0);
  ASSERT_TRUE(AddFailedAvp(dict_.zn, answer, offending).ok());
  FreeMessage(*request);  // the copy does not point into the request
  const Bytes wire = Serialize(answer);
  FreeMessage(answer);
  // Failed-AVP (279, M) holding GBA_U-Awareness-Indicator (407, V M, vendor 10415) = 7.
  EXPECT_THAT(HexEncode(wire),
              ::testing::HasSubstr(HexEncode(Cat({Avp(279, kM, Zn(407, U32(7)))}))));
}

TEST_F(ZnMessagesTest, AProtocolErrorSetsTheEBitAndOthersDoNot) {
  for (uint32_t code : {3004u, 5012u, 2001u}) {
    msg* answer = nullptr;
    ASSERT_EQ(fd_msg_new(dict_.zn.answer, 0, &answer), 0);
    MarkProtocolError(answer, code);
    const Bytes wire = Serialize(answer);
    FreeMessage(answer);
    ASSERT_GE(wire.size(), 5u);
    EXPECT_EQ((wire[4] & 0x20) != 0, code == 3004u) << code;  // RFC 6733 §3: E is 0x20
  }
}

TEST_F(ZnMessagesTest, AHalfBuiltKeyAnswerIsRemovedWhole) {
  msg* answer = nullptr;
  ASSERT_EQ(fd_msg_new(dict_.zn.answer, 0, &answer), 0);
  ZnKeyAnswer keys;
  keys.impi = "impi@example";
  keys.me_key = SecretBytes::CopyFrom(Bytes(32, 0x5A));
  keys.uicc_key = SecretBytes::CopyFrom(Bytes(32, 0xA5));
  keys.key_expiry = absl::FromUnixSeconds(1796601600);
  keys.bootstrap_time = absl::FromUnixSeconds(1796601600);
  keys.user_security_settings = Bytes{1, 2, 3};
  ASSERT_TRUE(AddZnKeyAnswer(dict_.zn, answer, keys).ok());
  RemoveZnKeyAnswer(dict_.zn, answer);
  const Bytes wire = Serialize(answer);
  FreeMessage(answer);
  EXPECT_EQ(wire.size(), 20u) << "only the header is left: " << HexEncode(wire);
}

}  // namespace
}  // namespace gbabridge::zn_diameter

#include "uicc/base/status_reason.h"

#include "bootstrap/client/gba_error.h"
#include "gtest/gtest.h"
#include "uicc/card_error.h"

namespace gbabridge {
namespace {

TEST(StatusReasonTest, ReasonsRoundTripWithTheirCodes) {
  absl::Status s = CardError(CardErrorReason::kNoCard, "no card in reader X");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "no card in reader X");
  EXPECT_EQ(GetCardErrorReason(s), CardErrorReason::kNoCard);
  EXPECT_EQ(CardErrorReasonName(CardErrorReason::kAuthMacFailure), "AUTH_MAC_FAILURE");

  absl::Status g = GbaError(GbaErrorReason::kBsfForbidden, "403");
  EXPECT_EQ(g.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(GetGbaErrorReason(g), GbaErrorReason::kBsfForbidden);
}

TEST(StatusReasonTest, LayersDoNotReadEachOthersReasons) {
  EXPECT_FALSE(GetGbaErrorReason(CardError(CardErrorReason::kNoCard, "x")).has_value());
  EXPECT_FALSE(GetCardErrorReason(GbaError(GbaErrorReason::kBsfForbidden, "x")).has_value());
  EXPECT_FALSE(GetCardErrorReason(absl::UnavailableError("plain")).has_value());
}

}  // namespace
}  // namespace gbabridge

// The gbabridge.v1 error model: every layer's reason maps to the proto's ErrorReason and to
// the code of the proto's table, and the reason survives a real gRPC call in the trailers.
#include "bootstrap/wire/wire_error.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include "bootstrap/client/gba_error.h"
#include "gbabridge/v1/gbabridge.grpc.pb.h"
#include "gtest/gtest.h"
#include "uicc/card_error.h"

namespace gbabridge::wire {
namespace {

namespace v1 = ::gbabridge::v1;

struct Expected {
  std::string reason;
  absl::StatusCode code;
};

void ExpectMapped(const absl::Status& status, const Expected& expected) {
  EXPECT_EQ(std::string(ErrorReasonName(status)), expected.reason) << status;
  EXPECT_EQ(ToWireStatus(status).code(), expected.code) << status;
  EXPECT_EQ(ToWireStatus(status).message(), status.message());
  grpc::Status wire = ToGrpcStatus(status, nullptr);
  EXPECT_EQ(static_cast<int>(wire.error_code()), static_cast<int>(expected.code)) << status;
  EXPECT_EQ(wire.error_message(), std::string(status.message()));
}

TEST(WireErrorTest, CardReasons) {
  const std::pair<CardErrorReason, Expected> cases[] = {
      {CardErrorReason::kPcscdNotRunning, {"PCSCD_NOT_RUNNING", absl::StatusCode::kUnavailable}},
      {CardErrorReason::kNoReader, {"NO_READER", absl::StatusCode::kUnavailable}},
      {CardErrorReason::kNoCard, {"NO_CARD", absl::StatusCode::kUnavailable}},
      {CardErrorReason::kCardRemoved, {"CARD_REMOVED", absl::StatusCode::kUnavailable}},
      {CardErrorReason::kCardReset, {"CARD_REMOVED", absl::StatusCode::kUnavailable}},
      {CardErrorReason::kTransportFailed, {"CARD_REMOVED", absl::StatusCode::kUnavailable}},
      {CardErrorReason::kMalformedResponse, {"INTERNAL_ERROR", absl::StatusCode::kInternal}},
      {CardErrorReason::kUnexpectedStatus, {"INTERNAL_ERROR", absl::StatusCode::kInternal}},
      {CardErrorReason::kFileNotFound, {"INTERNAL_ERROR", absl::StatusCode::kInternal}},
      {CardErrorReason::kApplicationNotFound,
       {"GBA_NOT_SUPPORTED", absl::StatusCode::kFailedPrecondition}},
      {CardErrorReason::kPinRequired, {"PIN_REQUIRED", absl::StatusCode::kFailedPrecondition}},
      // PERMISSION_DENIED inside uicc; the proto table wins on the wire.
      {CardErrorReason::kPinWrong, {"PIN_REJECTED", absl::StatusCode::kFailedPrecondition}},
      {CardErrorReason::kPinBlocked, {"PIN_BLOCKED", absl::StatusCode::kFailedPrecondition}},
      {CardErrorReason::kAuthMacFailure,
       {"NETWORK_AUTH_FAILED", absl::StatusCode::kUnauthenticated}},
      {CardErrorReason::kGbaNotSupported,
       {"GBA_U_NOT_SUPPORTED", absl::StatusCode::kFailedPrecondition}},
      {CardErrorReason::kConditionsNotSatisfied, {"INTERNAL_ERROR", absl::StatusCode::kInternal}},
      {CardErrorReason::kGbaBootstrapChanged,
       {"GBA_BOOTSTRAP_CHANGED", absl::StatusCode::kAborted}},
      {CardErrorReason::kCardUnresponsive, {"CARD_UNRESPONSIVE", absl::StatusCode::kUnavailable}},
  };
  for (const auto& [reason, expected] : cases) {
    ExpectMapped(CardError(reason, "card says no"), expected);
  }
}

TEST(WireErrorTest, GbaReasons) {
  const std::pair<GbaErrorReason, Expected> cases[] = {
      {GbaErrorReason::kBsfUnreachable, {"BSF_UNREACHABLE", absl::StatusCode::kUnavailable}},
      {GbaErrorReason::kBsfTlsFailed, {"BSF_TLS_FAILED", absl::StatusCode::kUnavailable}},
      // PERMISSION_DENIED in the GBA client; UNAUTHENTICATED / BSF_REJECTED on the wire.
      {GbaErrorReason::kBsfForbidden, {"BSF_REJECTED", absl::StatusCode::kUnauthenticated}},
      {GbaErrorReason::kBsfMalformedReply, {"BSF_MALFORMED_REPLY", absl::StatusCode::kDataLoss}},
      {GbaErrorReason::kBsfNotAuthentic, {"BSF_NOT_AUTHENTIC", absl::StatusCode::kUnauthenticated}},
      {GbaErrorReason::kNetworkAuthFailed,
       {"NETWORK_AUTH_FAILED", absl::StatusCode::kUnauthenticated}},
      {GbaErrorReason::kSyncFailed, {"SYNC_FAILED", absl::StatusCode::kUnavailable}},
  };
  for (const auto& [reason, expected] : cases) {
    ExpectMapped(GbaError(reason, "BSF says no"), expected);
  }
}

TEST(WireErrorTest, TheDaemonsOwnReasons) {
  // Policy, rate limits and request validation: made with WireError, code from the table.
  const std::pair<v1::ErrorReason, Expected> cases[] = {
      {v1::CALLER_NOT_ALLOWED, {"CALLER_NOT_ALLOWED", absl::StatusCode::kPermissionDenied}},
      {v1::NAF_NOT_ALLOWED, {"NAF_NOT_ALLOWED", absl::StatusCode::kPermissionDenied}},
      {v1::UA_NOT_ALLOWED, {"UA_NOT_ALLOWED", absl::StatusCode::kPermissionDenied}},
      {v1::OPERATION_NOT_ALLOWED, {"OPERATION_NOT_ALLOWED", absl::StatusCode::kPermissionDenied}},
      {v1::RATE_LIMITED, {"RATE_LIMITED", absl::StatusCode::kResourceExhausted}},
      {v1::INCORRECT_NAF_ID, {"INCORRECT_NAF_ID", absl::StatusCode::kInvalidArgument}},
      {v1::SECURITY_PROTOCOL_NOT_SUPPORTED,
       {"SECURITY_PROTOCOL_NOT_SUPPORTED", absl::StatusCode::kInvalidArgument}},
      {v1::GBA_NOT_SUPPORTED, {"GBA_NOT_SUPPORTED", absl::StatusCode::kFailedPrecondition}},
  };
  for (const auto& [reason, expected] : cases) {
    const absl::Status status = WireError(reason, "x");
    EXPECT_EQ(status.code(), expected.code);
    EXPECT_EQ(ErrorReasonOf(status), reason);
    ExpectMapped(status, expected);
  }
}

TEST(WireErrorTest, ParseErrorReasonKnowsOnlyTheTable) {
  EXPECT_EQ(ParseErrorReason("PIN_BLOCKED"), v1::PIN_BLOCKED);
  EXPECT_EQ(ParseErrorReason(""), v1::ERROR_REASON_UNSPECIFIED);
  EXPECT_EQ(ParseErrorReason("ERROR_REASON_UNSPECIFIED"), v1::ERROR_REASON_UNSPECIFIED);
  EXPECT_EQ(ParseErrorReason("SOMETHING_FROM_THE_FUTURE"), v1::ERROR_REASON_UNSPECIFIED);
  EXPECT_EQ(ParseErrorReason("pin_blocked"), v1::ERROR_REASON_UNSPECIFIED);
  EXPECT_EQ(ParseErrorReason("example.org/PIN_BLOCKED"), v1::ERROR_REASON_UNSPECIFIED);
}

TEST(WireErrorTest, TrailersFromAnotherDomainAreQualified) {
  const std::string reason = "PIN_BLOCKED";
  const std::string ours = kErrorDomain;
  const std::string theirs = "example.org";
  Trailers trailers = {{kErrorReasonTrailer, reason}};
  EXPECT_EQ(ErrorReasonFromTrailers(trailers), "PIN_BLOCKED") << "no domain: ours";
  trailers.emplace(kErrorDomainTrailer, ours);
  EXPECT_EQ(ErrorReasonFromTrailers(trailers), "PIN_BLOCKED");
  Trailers foreign = {{kErrorReasonTrailer, reason}, {kErrorDomainTrailer, theirs}};
  EXPECT_EQ(ErrorReasonFromTrailers(foreign), "example.org/PIN_BLOCKED");
  EXPECT_EQ(
      ErrorReasonOf(FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "m"), foreign)),
      v1::ERROR_REASON_UNSPECIFIED);
  EXPECT_EQ(ErrorReasonFromTrailers(Trailers()), "");
}

TEST(WireErrorTest, AStatusWithoutAReasonIsInternal) {
  // Never a reason outside the proto's list, and never a code that disagrees with it.
  ExpectMapped(absl::UnavailableError("no reason attached"),
               {"INTERNAL_ERROR", absl::StatusCode::kInternal});
  ExpectMapped(absl::InvalidArgumentError("RAND and AUTN must be 16 bytes each"),
               {"INTERNAL_ERROR", absl::StatusCode::kInternal});
  EXPECT_EQ(std::string(ErrorReasonName(absl::OkStatus())), "");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus(), nullptr).ok());
}

TEST(WireErrorTest, TheTableCoversTheProtoEnumExactly) {
  const google::protobuf::EnumDescriptor* descriptor = v1::ErrorReason_descriptor();
  std::set<absl::StatusCode> codes;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const auto reason = static_cast<v1::ErrorReason>(descriptor->value(i)->number());
    EXPECT_EQ(std::string(ErrorReasonName(reason)), descriptor->value(i)->name());
    if (reason == v1::ERROR_REASON_UNSPECIFIED) {
      EXPECT_EQ(ErrorReasonCode(reason), absl::StatusCode::kUnknown);
    } else {
      EXPECT_NE(ErrorReasonCode(reason), absl::StatusCode::kUnknown)
          << descriptor->value(i)->name();
      codes.insert(ErrorReasonCode(reason));
    }
  }
  // The table's codes, and nothing else.
  EXPECT_EQ(codes, (std::set<absl::StatusCode>{
                       absl::StatusCode::kUnavailable, absl::StatusCode::kFailedPrecondition,
                       absl::StatusCode::kUnauthenticated, absl::StatusCode::kDataLoss,
                       absl::StatusCode::kPermissionDenied, absl::StatusCode::kInvalidArgument,
                       absl::StatusCode::kResourceExhausted, absl::StatusCode::kInternal,
                       absl::StatusCode::kAborted}));
}

TEST(WireErrorTest, StatusCodeNames) {
  EXPECT_EQ(StatusCodeName(absl::StatusCode::kUnavailable), "UNAVAILABLE");
  EXPECT_EQ(StatusCodeName(absl::StatusCode::kFailedPrecondition), "FAILED_PRECONDITION");
  EXPECT_EQ(StatusCodeName(absl::StatusCode::kResourceExhausted), "RESOURCE_EXHAUSTED");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::DATA_LOSS), "DATA_LOSS");
  EXPECT_EQ(StatusCodeName(static_cast<grpc::StatusCode>(42)), "CODE_42");
}

// A GbaBridge service whose GetStatus fails with a preset status, to see the trailers a real
// client receives.
class FailingService final : public v1::GbaBridge::Service {
 public:
  grpc::Status GetStatus(grpc::ServerContext* context, const v1::GetStatusRequest*,
                         v1::GetStatusResponse*) override {
    if (raw_reason.has_value()) {
      // What a newer daemon with a reason we do not know would send.
      context->AddTrailingMetadata(kErrorReasonTrailer, *raw_reason);
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "something new");
    }
    return ToGrpcStatus(status, context);
  }
  absl::Status status = absl::OkStatus();
  std::optional<std::string> raw_reason;
};

class WireErrorRoundTripTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = v1::GbaBridge::NewStub(server_->InProcessChannel(grpc::ChannelArguments()));
  }
  void TearDown() override { server_->Shutdown(); }

  // Calls GetStatus; returns the status as FromGrpcStatus rebuilds it, and the raw trailers.
  absl::Status Call(std::string* reason_trailer, std::string* domain_trailer) {
    grpc::ClientContext context;
    v1::GetStatusResponse response;
    grpc::Status status = stub_->GetStatus(&context, v1::GetStatusRequest(), &response);
    *reason_trailer = ErrorReasonFromTrailers(context.GetServerTrailingMetadata());
    domain_trailer->clear();
    const auto& trailers = context.GetServerTrailingMetadata();
    if (auto it = trailers.find(kErrorDomainTrailer); it != trailers.end()) {
      domain_trailer->assign(it->second.data(), it->second.size());
    }
    return FromGrpcStatus(status, context.GetServerTrailingMetadata());
  }

  FailingService service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<v1::GbaBridge::Stub> stub_;
};

TEST_F(WireErrorRoundTripTest, TheReasonTravelsInTheTrailers) {
  service_.status = CardError(CardErrorReason::kPinWrong, "wrong PIN: 2 tries left");
  std::string reason;
  std::string domain;
  absl::Status received = Call(&reason, &domain);
  EXPECT_EQ(reason, "PIN_REJECTED");
  EXPECT_EQ(domain, "gbabridge.dev");
  EXPECT_EQ(received.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(received.message(), "wrong PIN: 2 tries left");
  EXPECT_EQ(ErrorReasonOf(received), v1::PIN_REJECTED);
  EXPECT_EQ(std::string(ErrorReasonName(received)), "PIN_REJECTED");
  // Re-sending a received status (a proxy) keeps reason and code.
  EXPECT_EQ(ToWireStatus(received).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(WireErrorRoundTripTest, AnUnknownOrMissingReasonIsUnspecifiedAndKeepsTheCode) {
  service_.raw_reason = "SOMETHING_FROM_THE_FUTURE";
  std::string reason;
  std::string domain;
  absl::Status received = Call(&reason, &domain);
  EXPECT_EQ(reason, "SOMETHING_FROM_THE_FUTURE");
  EXPECT_EQ(received.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(std::string(ErrorReasonName(received)), "ERROR_REASON_UNSPECIFIED");
  EXPECT_EQ(ToWireStatus(received).code(), absl::StatusCode::kUnavailable);

  // No daemon at all: the client's own UNAVAILABLE, without trailers.
  auto unreachable = v1::GbaBridge::NewStub(grpc::CreateChannel(
      "unix:///nonexistent/gbabridged.sock", grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  v1::GetStatusResponse response;
  grpc::Status status = unreachable->GetStatus(&context, v1::GetStatusRequest(), &response);
  EXPECT_EQ(ErrorReasonFromTrailers(context.GetServerTrailingMetadata()), "");
  absl::Status local = FromGrpcStatus(status, context.GetServerTrailingMetadata());
  EXPECT_FALSE(local.ok());
  EXPECT_EQ(ErrorReasonOf(local), v1::ERROR_REASON_UNSPECIFIED);
}

TEST_F(WireErrorRoundTripTest, OkHasNoReason) {
  service_.status = absl::OkStatus();
  std::string reason;
  std::string domain;
  EXPECT_TRUE(Call(&reason, &domain).ok());
  EXPECT_EQ(reason, "");
  EXPECT_EQ(domain, "");
}

}  // namespace
}  // namespace gbabridge::wire

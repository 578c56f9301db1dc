// UnixSocketListener with a real socket in a temporary directory and a real gRPC server:
// SO_PEERCRED reaches the service through ServerContext::peer() ("fd:N"), the socket is
// created with the configured mode, stale sockets are replaced and live ones refused.
#include "bootstrap/daemon/unix_socket_listener.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../soft_usim/soft_usim_test_util.h"
#include "bootstrap/wire/wire_error.h"
#include "gbabridge/v1/gbabridge.grpc.pb.h"
#include "gtest/gtest.h"

namespace gbabridge::daemon {
namespace {

using ::gbabridge::soft_usim_testing::TempDir;

// Answers GetStatus with what the transport told it: the peer string in `reader`, and the
// resolved identity (or the error) in `bsf_url`.
class EchoPeerService final : public gbabridge::v1::GbaBridge::Service {
 public:
  explicit EchoPeerService(const UnixSocketListener** listener) : listener_(listener) {}

  grpc::Status GetStatus(grpc::ServerContext* context, const gbabridge::v1::GetStatusRequest*,
                         gbabridge::v1::GetStatusResponse* response) override {
    response->set_reader(context->peer());
    absl::StatusOr<PeerIdentity> peer = ResolvePeer(*context, *listener_);
    if (!peer.ok()) {
      return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                          std::string(peer.status().message()));
    }
    response->set_bsf_url(peer->ToString());
    return grpc::Status::OK;
  }

 private:
  const UnixSocketListener** listener_;
};

class UnixSocketListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }

  void TearDown() override {
    if (listener_ != nullptr) listener_->StopAccepting();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
    server_->Wait();
    listener_.reset();
  }

  void Listen(UnixSocketListenerOptions options) {
    absl::StatusOr<std::unique_ptr<UnixSocketListener>> listener =
        UnixSocketListener::Create(std::move(options));
    ASSERT_TRUE(listener.ok()) << listener.status();
    listener_ = *std::move(listener);
    listener_ptr_ = listener_.get();
    ASSERT_TRUE(listener_->Start(server_.get()).ok());
  }

  grpc::Status Call(const std::string& path, gbabridge::v1::GetStatusResponse* response) {
    auto channel = grpc::CreateChannel("unix:" + path, grpc::InsecureChannelCredentials());
    auto stub = gbabridge::v1::GbaBridge::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return stub->GetStatus(&context, gbabridge::v1::GetStatusRequest(), response);
  }

  TempDir dir_;
  const UnixSocketListener* listener_ptr_ = nullptr;
  EchoPeerService service_{&listener_ptr_};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<UnixSocketListener> listener_;
};

// A socket file nobody listens on, as a crashed daemon leaves it.
void MakeStaleSocket(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)), 0);
  ::close(fd);
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode;
}

TEST_F(UnixSocketListenerTest, ResolvesTheCallersUidAndGidFromTheKernel) {
  const std::string path = dir_.File("s.sock");
  Listen({.path = path, .mode = 0660, .group = std::nullopt});

  gbabridge::v1::GetStatusResponse response;
  grpc::Status status = Call(path, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  // What gRPC 1.51 reports for a channel made with AddInsecureChannelFromFd.
  EXPECT_EQ(response.reader().rfind("fd:", 0), 0u) << response.reader();
  EXPECT_EQ(response.bsf_url(), PeerIdentity::Unix(::getuid(), ::getgid()).ToString());
  EXPECT_EQ(listener_->accepted(), 1u);
}

// One uid may hold max_connections_per_uid connections; one more is closed at accept, and a
// connection that ended makes room again.
TEST_F(UnixSocketListenerTest, ConnectionsPerUidAreCapped) {
  const std::string path = dir_.File("s.sock");
  Listen({.path = path, .mode = 0660, .group = std::nullopt, .max_connections_per_uid = 2});
  auto call = [&](const std::shared_ptr<grpc::Channel>& channel) {
    auto stub = gbabridge::v1::GbaBridge::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
    gbabridge::v1::GetStatusResponse response;
    return stub->GetStatus(&context, gbabridge::v1::GetStatusRequest(), &response);
  };
  auto channel = [&] {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own each
    return grpc::CreateCustomChannel("unix:" + path, grpc::InsecureChannelCredentials(), args);
  };
  std::vector<std::shared_ptr<grpc::Channel>> held = {channel(), channel()};
  for (const auto& c : held) ASSERT_TRUE(call(c).ok());
  auto third = channel();
  EXPECT_FALSE(call(third).ok()) << "a third connection of the same uid was served";
  held.pop_back();  // that connection ends; gRPC closes its fd
  bool served = false;
  for (int i = 0; i < 50 && !served; ++i) {
    served = call(channel()).ok();
    if (!served) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(served) << "an ended connection still counted against its uid";
}

// Once the connection is gone, its fd number resolves to nothing, even if it still has an
// entry: Resolve() checks that the fd is still the socket accept() saw (fstat, SO_PEERCRED).
TEST_F(UnixSocketListenerTest, AnFdWhoseConnectionEndedIsNotResolved) {
  const std::string path = dir_.File("s.sock");
  Listen({.path = path, .mode = 0660, .group = std::nullopt});
  gbabridge::v1::GetStatusResponse response;
  ASSERT_TRUE(Call(path, &response).ok());  // its channel, and so the connection, end here
  absl::Status resolved;
  for (int i = 0; i < 200; ++i) {  // gRPC closes the server side of the fd asynchronously
    resolved = listener_->Resolve(response.reader()).status();
    if (!resolved.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(resolved.code(), absl::StatusCode::kNotFound) << resolved;
}

TEST_F(UnixSocketListenerTest, SocketHasTheConfiguredModeAndGroup) {
  const std::string path = dir_.File("s.sock");
  Listen({.path = path, .mode = 0660, .group = ::getgid()});
  const mode_t mode = ModeOf(path);
  EXPECT_TRUE(S_ISSOCK(mode));
  EXPECT_EQ(mode & 07777, 0660u);
  struct stat st {};
  ASSERT_EQ(::lstat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, ::getgid());
}

TEST_F(UnixSocketListenerTest, OtherModesAreApplied) {
  const std::string path = dir_.File("private.sock");
  Listen({.path = path, .mode = 0600, .group = std::nullopt});
  EXPECT_EQ(ModeOf(path) & 07777, 0600u);
  gbabridge::v1::GetStatusResponse response;
  EXPECT_TRUE(Call(path, &response).ok());
}

TEST_F(UnixSocketListenerTest, EveryConnectionGetsItsOwnEntry) {
  const std::string path = dir_.File("s.sock");
  Listen({.path = path, .mode = 0660, .group = std::nullopt});
  std::set<std::string> peers;
  for (int i = 0; i < 3; ++i) {
    gbabridge::v1::GetStatusResponse response;
    ASSERT_TRUE(Call(path, &response).ok());
    peers.insert(response.reader());
    EXPECT_EQ(response.bsf_url(), PeerIdentity::Unix(::getuid(), ::getgid()).ToString());
  }
  EXPECT_EQ(listener_->accepted(), 3u);
  EXPECT_GE(peers.size(), 1u);
}

TEST_F(UnixSocketListenerTest, ReplacesAStaleSocket) {
  const std::string path = dir_.File("s.sock");
  MakeStaleSocket(path);
  ASSERT_TRUE(S_ISSOCK(ModeOf(path)));
  Listen({.path = path, .mode = 0660, .group = std::nullopt});
  gbabridge::v1::GetStatusResponse response;
  EXPECT_TRUE(Call(path, &response).ok());
}

TEST_F(UnixSocketListenerTest, RefusesASocketSomeoneListensOn) {
  const std::string path = dir_.File("s.sock");
  Listen({.path = path, .mode = 0660, .group = std::nullopt});
  absl::StatusOr<std::unique_ptr<UnixSocketListener>> second =
      UnixSocketListener::Create({.path = path, .mode = 0660, .group = std::nullopt});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(second.status().message().find("already running"), absl::string_view::npos)
      << second.status();
  // The first one is untouched.
  gbabridge::v1::GetStatusResponse response;
  EXPECT_TRUE(Call(path, &response).ok());
}

TEST_F(UnixSocketListenerTest, RefusesToRemoveAFileThatIsNotASocket) {
  const std::string path = dir_.File("not-a-socket");
  std::ofstream(path) << "data";
  absl::StatusOr<std::unique_ptr<UnixSocketListener>> listener =
      UnixSocketListener::Create({.path = path, .mode = 0660, .group = std::nullopt});
  ASSERT_FALSE(listener.ok());
  EXPECT_EQ(listener.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(S_ISREG(ModeOf(path)));
}

// chmod/chown act on the path after bind(): a directory others may write is refused.
TEST_F(UnixSocketListenerTest, RefusesADirectoryOthersMayWrite) {
  const std::string shared = dir_.File("shared");
  ASSERT_EQ(::mkdir(shared.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(shared.c_str(), 01777), 0);  // like /tmp
  absl::StatusOr<std::unique_ptr<UnixSocketListener>> listener =
      UnixSocketListener::Create({.path = shared + "/s.sock", .mode = 0660, .group = std::nullopt});
  ASSERT_FALSE(listener.ok());
  EXPECT_EQ(listener.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(listener.status().message().find("writable by other users"), absl::string_view::npos)
      << listener.status();
}

TEST_F(UnixSocketListenerTest, CreatesMissingParentDirectories0755) {
  const std::string path = dir_.File("run/gbabridge/s.sock");
  Listen({.path = path, .mode = 0660, .group = std::nullopt});
  EXPECT_EQ(ModeOf(dir_.File("run/gbabridge")) & 07777, 0755u);
  EXPECT_EQ(ModeOf(dir_.File("run")) & 07777, 0755u);
  gbabridge::v1::GetStatusResponse response;
  EXPECT_TRUE(Call(path, &response).ok());
}

TEST_F(UnixSocketListenerTest, StopRemovesOnlyItsOwnSocket) {
  const std::string path = dir_.File("s.sock");
  Listen({.path = path, .mode = 0660, .group = std::nullopt});
  listener_->Stop();
  struct stat st {};
  EXPECT_NE(::lstat(path.c_str(), &st), 0);

  // A file that replaced ours (e.g. a newer daemon's socket) is left alone.
  absl::StatusOr<std::unique_ptr<UnixSocketListener>> other =
      UnixSocketListener::Create({.path = path, .mode = 0660, .group = std::nullopt});
  ASSERT_TRUE(other.ok()) << other.status();
  ASSERT_EQ(::unlink(path.c_str()), 0);
  std::ofstream(path) << "replaced";
  (*other)->Stop();
  EXPECT_TRUE(S_ISREG(ModeOf(path)));
}

TEST_F(UnixSocketListenerTest, UnknownPeersAreNotIdentified) {
  const std::string path = dir_.File("s.sock");
  Listen({.path = path, .mode = 0660, .group = std::nullopt});
  EXPECT_EQ(listener_->Resolve("ipv4:127.0.0.1:5000").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(listener_->Resolve("fd:100000").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(listener_->Resolve("fd:x").status().code(), absl::StatusCode::kNotFound);
}

TEST(ResolveGroupTest, NamesAndNumbers) {
  EXPECT_EQ(*ResolveGroup("0"), 0u);
  EXPECT_EQ(*ResolveGroup("1234"), 1234u);
  absl::StatusOr<gid_t> root = ResolveGroup("root");
  ASSERT_TRUE(root.ok()) << root.status();
  EXPECT_EQ(*root, 0u);
  EXPECT_EQ(ResolveGroup("no-such-group-gbabridge").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gbabridge::daemon

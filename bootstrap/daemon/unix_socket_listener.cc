#include "bootstrap/daemon/unix_socket_listener.h"

#include <errno.h>
#include <grp.h>
#include <grpc/grpc_security_constants.h>
#include <grpcpp/security/auth_context.h>
#include <grpcpp/server.h>
#include <grpcpp/server_context.h>
#include <grpcpp/server_posix.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "bootstrap/wire/wire_error.h"

namespace gbabridge::daemon {
namespace {

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string Errno(int error) { return std::strerror(error); }

absl::Status SystemError(int error, std::string_view what) {
  const std::string message = absl::StrCat(Sv(what), ": ", Errno(error));
  if (error == EACCES || error == EPERM) return absl::PermissionDeniedError(message);
  return absl::UnavailableError(message);
}

sockaddr_un Address(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  return address;
}

// Creates the missing directories above the socket, 0755 (world-traversable: the socket's
// own mode and group decide who may connect).
absl::Status MakeParentDirectories(const std::filesystem::path& dir) {
  if (dir.empty()) return absl::OkStatus();
  std::vector<std::filesystem::path> missing;
  for (std::filesystem::path p = dir; !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) {
        return absl::FailedPreconditionError(
            absl::StrCat(p.string(), " is not a directory; cannot create the socket below it"));
      }
      break;
    }
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST) {
      return SystemError(errno, absl::StrCat("cannot create directory ", it->string()));
    }
    ::chmod(it->c_str(), 0755);  // mkdir's mode went through the umask
  }
  return absl::OkStatus();
}

// The socket's mode and group are set by path after bind(): in a directory that another
// user may write, the file could be swapped for a link in between, and chmod would then
// follow it. So the directory must be writable only by its owner, and owned by us or root.
absl::Status CheckSocketDirectory(const std::filesystem::path& dir) {
  const std::filesystem::path checked = dir.empty() ? std::filesystem::path(".") : dir;
  struct stat st {};
  if (::stat(checked.c_str(), &st) != 0) {
    return SystemError(errno, absl::StrCat("cannot inspect ", checked.string()));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0 || (st.st_uid != 0 && st.st_uid != ::geteuid())) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the socket's directory ", checked.string(),
        " is writable by other users or owned by another user; put the socket in a directory "
        "only the daemon's user (or root) can write, e.g. /run/gbabridge"));
  }
  return absl::OkStatus();
}

// A leftover socket file is removed only if nobody accepts connections on it.
absl::Status RemoveStaleSocket(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return SystemError(errno, absl::StrCat("cannot inspect ", path));
  }
  if (!S_ISSOCK(st.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat(path,
                     " exists and is not a socket; refusing to remove it. Remove it yourself or "
                     "choose another [listen] unix_socket"));
  }
  const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (probe < 0) return SystemError(errno, "socket(AF_UNIX)");
  const sockaddr_un address = Address(path);
  const int rc = ::connect(probe, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
  const int error = errno;
  ::close(probe);
  if (rc == 0 || error == EAGAIN || error == EINPROGRESS) {
    return absl::FailedPreconditionError(absl::StrCat(
        "another process is listening on ", path,
        " (is gbabridged already running?); stop it or choose another [listen] unix_socket"));
  }
  if (error != ECONNREFUSED) {
    return SystemError(error, absl::StrCat("cannot check whether ", path, " is in use"));
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return SystemError(errno, absl::StrCat("cannot remove the stale socket ", path));
  }
  spdlog::info("removed the stale socket {} (nothing listened on it)", path);
  return absl::OkStatus();
}

// umask() is process-wide: serialise our own uses of it.
std::mutex& UmaskMutex() {
  static std::mutex* mu = new std::mutex();
  return *mu;
}

}  // namespace

absl::StatusOr<gid_t> ResolveGroup(std::string_view group) {
  if (group.empty()) return absl::InvalidArgumentError("empty group name");
  gid_t number = 0;
  const auto [end, ec] = std::from_chars(group.data(), group.data() + group.size(), number);
  if (ec == std::errc() && end == group.data() + group.size()) return number;
  const std::string name(group);
  std::vector<char> buffer(16384);
  struct group entry {};
  struct group* found = nullptr;
  const int rc = ::getgrnam_r(name.c_str(), &entry, buffer.data(), buffer.size(), &found);
  if (rc != 0 || found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown group \"", name, "\" ([listen] unix_socket_group, --socket-group)"));
  }
  return found->gr_gid;
}

absl::StatusOr<std::unique_ptr<UnixSocketListener>> UnixSocketListener::Create(
    UnixSocketListenerOptions options) {
  const std::string& path = options.path;
  if (path.empty() || path.size() >= sizeof(sockaddr_un{}.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("the Unix socket path must be 1 to ",
                                                   sizeof(sockaddr_un{}.sun_path) - 1,
                                                   " bytes long: \"", path, "\""));
  }
  if (absl::Status s = MakeParentDirectories(std::filesystem::path(path).parent_path()); !s.ok()) {
    return s;
  }
  if (absl::Status s = CheckSocketDirectory(std::filesystem::path(path).parent_path()); !s.ok()) {
    return s;
  }
  if (absl::Status s = RemoveStaleSocket(path); !s.ok()) return s;

  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return SystemError(errno, "socket(AF_UNIX)");
  auto fail = [&](absl::Status status) {
    ::close(fd);
    return status;
  };
  const sockaddr_un address = Address(path);
  int bound = 0;
  int bind_errno = 0;
  {
    // bind() creates the file with 0777 & ~umask: with 0177 it is 0600 from the start, so it
    // is never, even for a moment, open to others before the chown/chmod below.
    std::lock_guard<std::mutex> lock(UmaskMutex());
    const mode_t old_mask = ::umask(0177);
    bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address));
    bind_errno = errno;
    ::umask(old_mask);
  }
  if (bound != 0) return fail(SystemError(bind_errno, absl::StrCat("cannot bind ", path)));
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    return fail(SystemError(errno, absl::StrCat("cannot stat ", path)));
  }
  // Group first, then mode: widening the mode before the group is right would open the
  // socket to the wrong group for a moment.
  const gid_t gid = options.group.value_or(::getegid());
  if (::chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    return fail(
        SystemError(error, absl::StrCat("cannot give ", path, " to group ", gid,
                                        " (the daemon's user must be a member of that group)")));
  }
  if (::chmod(path.c_str(), options.mode) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    return fail(SystemError(error, absl::StrFormat("cannot chmod %s to %04o", path, options.mode)));
  }
  if (::listen(fd, 64) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    return fail(SystemError(error, absl::StrCat("cannot listen on ", path)));
  }
  const int wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake < 0) {
    const int error = errno;
    ::unlink(path.c_str());
    return fail(SystemError(error, "eventfd"));
  }
  return std::unique_ptr<UnixSocketListener>(
      new UnixSocketListener(std::move(options), fd, wake, st.st_dev, st.st_ino));
}

UnixSocketListener::UnixSocketListener(UnixSocketListenerOptions options, int listen_fd,
                                       int wake_fd, dev_t dev, ino_t ino)
    : options_(std::move(options)),
      listen_fd_(listen_fd),
      wake_fd_(wake_fd),
      dev_(dev),
      ino_(ino) {}

UnixSocketListener::~UnixSocketListener() { Stop(); }

absl::Status UnixSocketListener::Start(grpc::Server* server) {
  if (listen_fd_ < 0) return absl::FailedPreconditionError("the Unix listener was stopped");
  if (thread_.joinable()) return absl::FailedPreconditionError("the Unix listener is running");
  thread_ = std::thread([this, server] { AcceptLoop(server); });
  return absl::OkStatus();
}

void UnixSocketListener::AcceptLoop(grpc::Server* server) {
  while (true) {
    pollfd fds[2] = {{.fd = listen_fd_, .events = POLLIN, .revents = 0},
                     {.fd = wake_fd_, .events = POLLIN, .revents = 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("Unix listener: poll failed: {}", Errno(errno));
      return;
    }
    if (fds[1].revents != 0) return;  // StopAccepting()
    if (fds[0].revents == 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR || error == ECONNABORTED) {
        continue;
      }
      // Out of fds or memory: back off instead of spinning, but stay stoppable.
      spdlog::warn("Unix listener: accept failed: {}; retrying in 100 ms", Errno(error));
      pollfd wake = {.fd = wake_fd_, .events = POLLIN, .revents = 0};
      if (::poll(&wake, 1, 100) > 0) return;
      continue;
    }
    ucred credentials{};
    socklen_t length = sizeof(credentials);
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 ||
        length != sizeof(credentials)) {
      spdlog::warn("Unix listener: no peer credentials for a connection ({}); closed",
                   Errno(errno));
      ::close(fd);
      continue;
    }
    struct stat socket_stat {};
    if (::fstat(fd, &socket_stat) != 0) {
      spdlog::warn("Unix listener: fstat on a new connection failed ({}); closed", Errno(errno));
      ::close(fd);
      continue;
    }
    {
      // Recorded before gRPC sees the fd, so no call on it can find an older entry.
      std::lock_guard<std::mutex> lock(mu_);
      // Connections gRPC has closed since are dropped first (their fd is gone, or now
      // another socket), then this uid's live ones counted.
      size_t same_uid = 0;
      for (auto it = peers_.begin(); it != peers_.end();) {
        struct stat now {};
        if (it->first == fd || ::fstat(it->first, &now) != 0 || now.st_dev != it->second.dev ||
            now.st_ino != it->second.ino) {
          it = peers_.erase(it);
          continue;
        }
        if (it->second.uid == credentials.uid) ++same_uid;
        ++it;
      }
      if (same_uid >= options_.max_connections_per_uid) {
        spdlog::warn(
            "Unix listener: uid {} already holds {} connections, its maximum; closed "
            "a new one",
            credentials.uid, same_uid);
        ::close(fd);
        continue;
      }
      peers_.insert_or_assign(
          fd, AcceptedPeer{.identity = PeerIdentity::Unix(credentials.uid, credentials.gid),
                           .dev = socket_stat.st_dev,
                           .ino = socket_stat.st_ino,
                           .uid = credentials.uid,
                           .gid = credentials.gid});
      ++accepted_;
    }
    spdlog::debug("Unix connection fd {} from uid={} gid={} pid={}", fd, credentials.uid,
                  credentials.gid, credentials.pid);
    // gRPC owns the fd from here on and closes it when the connection ends.
    grpc::AddInsecureChannelFromFd(server, fd);
  }
}

void UnixSocketListener::StopAccepting() {
  if (thread_.joinable()) {
    const uint64_t one = 1;
    if (::write(wake_fd_, &one, sizeof(one)) != sizeof(one)) {
      spdlog::error("Unix listener: cannot wake the accept thread: {}", Errno(errno));
    }
    thread_.join();
  }
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  listen_fd_ = -1;
  wake_fd_ = -1;
}

void UnixSocketListener::Stop() {
  StopAccepting();
  std::lock_guard<std::mutex> lock(mu_);
  if (removed_) return;
  removed_ = true;
  // Only our own file: a newer daemon may already have replaced it.
  struct stat st {};
  if (::lstat(options_.path.c_str(), &st) == 0 && st.st_dev == dev_ && st.st_ino == ino_) {
    ::unlink(options_.path.c_str());
  }
}

absl::StatusOr<PeerIdentity> UnixSocketListener::Resolve(std::string_view peer) const {
  constexpr std::string_view kPrefix = "fd:";
  int fd = -1;
  if (peer.substr(0, kPrefix.size()) == kPrefix) {
    const std::string_view digits = peer.substr(kPrefix.size());
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), fd);
    if (ec != std::errc() || end != digits.data() + digits.size()) fd = -1;
  }
  if (fd < 0) {
    return absl::NotFoundError(absl::StrCat("peer \"", Sv(peer), "\" is not a Unix connection"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = peers_.find(fd);
  if (it == peers_.end()) {
    return absl::NotFoundError(absl::StrCat("no peer credentials recorded for ", Sv(peer)));
  }
  // The fd must still be the socket accept() gave us, with the same peer: a number reused
  // for another socket (the connection gone, a new one not through our accept) must never
  // inherit the identity recorded for the old one.
  struct stat now {};
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (::fstat(fd, &now) != 0 || now.st_dev != it->second.dev || now.st_ino != it->second.ino ||
      ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 ||
      length != sizeof(credentials) || credentials.uid != it->second.uid ||
      credentials.gid != it->second.gid) {
    return absl::NotFoundError(
        absl::StrCat("the connection behind ", Sv(peer), " is no longer the one accepted"));
  }
  return it->second.identity;
}

uint64_t UnixSocketListener::accepted() const {
  std::lock_guard<std::mutex> lock(mu_);
  return accepted_;
}

absl::StatusOr<PeerIdentity> ResolvePeer(const grpc::ServerContext& context,
                                         const UnixSocketListener* unix_listener) {
  const std::string peer = context.peer();
  if (unix_listener != nullptr && peer.rfind("fd:", 0) == 0) {
    absl::StatusOr<PeerIdentity> identity = unix_listener->Resolve(peer);
    if (identity.ok()) return identity;
    return wire::WireError(
        v1::CALLER_NOT_ALLOWED,
        absl::StrCat("the caller could not be identified: ", identity.status().message()));
  }
  // TCP: only reachable with a client certificate the CA verified
  // (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY).
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    const std::vector<grpc::string_ref> subjects =
        auth->FindPropertyValues(GRPC_X509_SUBJECT_PROPERTY_NAME);
    if (subjects.size() == 1 && !subjects.front().empty()) {
      return PeerIdentity::Certificate(
          std::string(subjects.front().data(), subjects.front().size()));
    }
  }
  return wire::WireError(v1::CALLER_NOT_ALLOWED,
                         "the caller could not be identified (neither Unix peer credentials nor a "
                         "verified client certificate)");
}

}  // namespace gbabridge::daemon

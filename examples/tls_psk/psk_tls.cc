#include "examples/tls_psk/psk_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "absl/strings/str_cat.h"

namespace gbabridge::examples {
namespace {

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
using SslPtr = std::unique_ptr<SSL, SslFree>;

// What the OpenSSL callbacks of one connection need and report; reached through
// SSL_get_app_data, since the callbacks are plain C functions.
struct ConnectionState {
  // Client side.
  const std::string* identity = nullptr;
  SecretBytes* psk = nullptr;
  std::string client_error;  // why the client callback refused to go on
  // Server side.
  NafKeySource* keys = nullptr;
  bool lookup_ran = false;
  std::optional<PskIdentity> parsed;
  absl::Status lookup;
  // Both: the first fatal alert each way (TLS alert description, RFC 5246 §7.2), or -1.
  int alert_received = -1;
  int alert_sent = -1;
};

ConnectionState* StateOf(const SSL* ssl) {
  return static_cast<ConnectionState*>(SSL_get_app_data(ssl));
}

// Drains OpenSSL's error queue into one line (error strings hold no key material).
std::string OpenSslErrors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(code, buffer, sizeof(buffer));
    absl::StrAppend(&out, out.empty() ? "" : "; ", buffer);
  }
  return out.empty() ? "no OpenSSL error recorded" : out;
}

// Non-printable bytes from the peer become '?', and the text is cut, before it goes into a
// message.
std::string Printable(std::string_view text, size_t max = 64) {
  std::string out;
  for (char c : text.substr(0, max)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u >= 0x20 && u < 0x7f ? c : '?');
  }
  if (text.size() > max) out += "...";
  return out;
}

void InfoCallback(const SSL* ssl, int where, int ret) {
  ConnectionState* state = StateOf(ssl);
  // For alerts `ret` is (level << 8) | description (SSL_CTX_set_info_callback(3)); only
  // fatal ones matter here (close_notify is a warning).
  if (state == nullptr || (ret >> 8) != SSL3_AL_FATAL) return;
  if ((where & SSL_CB_READ_ALERT) && state->alert_received < 0) state->alert_received = ret & 0xff;
  if ((where & SSL_CB_WRITE_ALERT) && state->alert_sent < 0) state->alert_sent = ret & 0xff;
}

// The settings both sides share.
absl::StatusOr<SSL_CTX*> NewContext(bool server) {
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (ctx == nullptr) return absl::InternalError("SSL_CTX_new failed: " + OpenSslErrors());
  // TLS 1.2 only: the Ua id 01 00 01 yy zz names a TLS 1.2 cipher suite (TS 33.220 Annex H);
  // TLS 1.3 keys are derived for 01 00 00 00 07 instead (TS 33.222 §5.4.0.2).
  // One cipher suite only: the key depends on it, so both sides must agree in advance.
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kOpenSslCipher) != 1) {
    SSL_CTX_free(ctx);
    return absl::FailedPreconditionError(absl::StrCat("this OpenSSL cannot do TLS 1.2 with ",
                                                      kOpenSslCipher, ": ", OpenSslErrors()));
  }
  // Every connection does the full PSK handshake, so that the NAF looks the B-TID up (and
  // sees its expiry) each time: no session tickets, no session cache, no renegotiation.
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_info_callback(ctx, InfoCallback);
  return ctx;
}

// The device's PSK callback (SSL_CTX_set_psk_client_callback(3)): called once the NAF's
// ServerKeyExchange (with its identity hint) has arrived.
unsigned int ClientPskCallback(SSL* ssl, const char* hint, char* identity,
                               unsigned int max_identity_len, unsigned char* psk,
                               unsigned int max_psk_len) {
  ConnectionState* state = StateOf(ssl);
  if (state == nullptr || state->identity == nullptr || state->psk == nullptr) return 0;
  // A GBA NAF sends the hint "3GPP-bootstrapping" (TS 24.109 Annex F.3 step 2). Without
  // it, this server does not expect a GBA identity: do not hand it our B-TID.
  if (hint == nullptr || std::string_view(hint) != kPskIdentityHint) {
    state->client_error =
        hint == nullptr
            ? "the server sent no PSK identity hint; a GBA NAF sends \"3GPP-bootstrapping\" "
              "(TS 24.109 Annex F.3): is this the NAF's TLS port?"
            : absl::StrCat("the server's PSK identity hint is \"", Printable(hint),
                           "\", not \"3GPP-bootstrapping\" (TS 24.109 Annex F.3): is this the "
                           "NAF's TLS port?");
    return 0;
  }
  // OpenSSL wants the identity NUL-terminated within max_identity_len bytes.
  if (state->identity->size() + 1 > max_identity_len) {
    state->client_error =
        absl::StrCat("the PSK identity is ", state->identity->size(),
                     " bytes; this TLS stack takes at most ", max_identity_len - 1);
    return 0;
  }
  if (state->psk->size() != kNafKeySize || state->psk->size() > max_psk_len) {
    state->client_error = absl::StrCat("the NAF key is ", state->psk->size(), " bytes, not ",
                                       kNafKeySize, " (or more than TLS takes, ", max_psk_len, ")");
    return 0;
  }
  std::memcpy(identity, state->identity->data(), state->identity->size());
  identity[state->identity->size()] = '\0';
  std::memcpy(psk, state->psk->data(), state->psk->size());
  const auto length = static_cast<unsigned int>(state->psk->size());
  state->psk->Clear();  // OpenSSL has its copy now (and wipes it); ours goes at once
  return length;
}

// The NAF's PSK callback (SSL_CTX_set_psk_server_callback(3)): called with the identity
// from the device's ClientKeyExchange.
unsigned int ServerPskCallback(SSL* ssl, const char* identity, unsigned char* psk,
                               unsigned int max_psk_len) {
  ConnectionState* state = StateOf(ssl);
  if (state == nullptr || state->keys == nullptr) return 0;
  state->lookup_ran = true;
  absl::StatusOr<PskIdentity> parsed =
      ParsePskIdentity(identity == nullptr ? std::string_view() : std::string_view(identity));
  if (!parsed.ok()) {
    state->lookup = parsed.status();
    return 0;  // not a GBA identity: unknown_psk_identity
  }
  state->parsed = *parsed;
  absl::StatusOr<SecretBytes> key = state->keys->GetKey(*parsed);
  if (!key.ok()) {
    state->lookup = key.status();
    // 0 makes OpenSSL answer with the alert unknown_psk_identity (RFC 4279 §2), which tells
    // the device to bootstrap again: right for an unknown or expired B-TID only.
    if (absl::IsNotFound(key.status())) return 0;
    // Any other failure (BSF unreachable, NAF not authorised) is not the device's fault, and
    // a new bootstrap would not help. OpenSSL answers a length above max_psk_len with the
    // alert internal_error instead (ssl/statem/statem_srvr.c,
    // tls_process_cke_psk_preamble): the only way a PSK callback can say "not now".
    return max_psk_len + 1;
  }
  if (key->size() != kNafKeySize || key->size() > max_psk_len) {
    state->lookup = absl::InternalError(
        absl::StrCat("the key source gave a ", key->size(), "-byte key, not ", kNafKeySize));
    return max_psk_len + 1;
  }
  std::memcpy(psk, key->data(), key->size());
  return static_cast<unsigned int>(key->size());  // `key` is wiped as it goes out of scope
}

// Reads up to and without '\n' (or to the end of the stream); at most kMaxLineLength bytes.
absl::StatusOr<std::string> ReadLine(SSL* ssl) {
  std::string line;
  char buffer[512];
  for (;;) {
    ERR_clear_error();
    errno = 0;
    const int n = SSL_read(ssl, buffer, sizeof(buffer));
    if (n <= 0) {
      const int error = SSL_get_error(ssl, n);
      const int saved_errno = errno;
      if (error == SSL_ERROR_ZERO_RETURN && !line.empty()) return line;  // close_notify
      return absl::UnavailableError(
          absl::StrCat("the connection ended before a full line arrived (",
                       error == SSL_ERROR_SYSCALL && saved_errno != 0
                           ? std::string(std::strerror(saved_errno)) +
                                 (saved_errno == EAGAIN ? ": timed out" : "")
                           : OpenSslErrors(),
                       ")"));
    }
    const std::string_view chunk(buffer, static_cast<size_t>(n));
    const size_t newline = chunk.find('\n');
    line.append(chunk.substr(0, newline));
    if (line.size() > kMaxLineLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("the peer's line is longer than ", kMaxLineLength, " bytes"));
    }
    if (newline != std::string_view::npos) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      return line;
    }
  }
}

absl::Status WriteAll(SSL* ssl, std::string_view data) {
  // Blocking socket, no SSL_MODE_ENABLE_PARTIAL_WRITE: SSL_write sends all or fails.
  ERR_clear_error();
  const int n = SSL_write(ssl, data.data(), static_cast<int>(data.size()));
  if (n != static_cast<int>(data.size())) {
    return absl::UnavailableError(absl::StrCat("sending failed: ", OpenSslErrors()));
  }
  return absl::OkStatus();
}

std::string CipherName(const SSL* ssl) {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  return cipher == nullptr ? "(none)" : SSL_CIPHER_get_name(cipher);
}

// Why a handshake failed, from the device's point of view.
absl::Status ClientHandshakeError(SSL* ssl, int rc, const ConnectionState& state) {
  // SSL_get_error reads the error queue: ask it first, then drain the queue.
  const int error = SSL_get_error(ssl, rc);
  const int saved_errno = errno;
  const std::string detail = OpenSslErrors();
  if (!state.client_error.empty()) return absl::FailedPreconditionError(state.client_error);
  switch (state.alert_received) {
    case SSL_AD_UNKNOWN_PSK_IDENTITY:
      return absl::NotFoundError(
          "the NAF does not know our B-TID (TLS alert unknown_psk_identity): the BSF has no "
          "valid session for it (expired, or the BSF restarted); a new bootstrap is needed "
          "(TS 33.220 §4.5.3)");
    case SSL_AD_BAD_RECORD_MAC:
    case SSL_AD_DECRYPT_ERROR:
      return absl::UnauthenticatedError(
          "the NAF rejected our key (TLS alert bad_record_mac/decrypt_error): our Ks_NAF and "
          "the NAF's differ; check that both use the same NAF FQDN, Ua id (01 00 01 00 AE) and "
          "BSF");
    case SSL_AD_INTERNAL_ERROR:
      return absl::UnavailableError(
          "the NAF could not get the key for our B-TID now (TLS alert internal_error): its "
          "BSF is unreachable or refuses it; try again later");
    case SSL_AD_HANDSHAKE_FAILURE:
      return absl::FailedPreconditionError(absl::StrCat(
          "the NAF refused the handshake (TLS alert handshake_failure): does it offer ",
          kOpenSslCipher, " in TLS 1.2? (", detail, ")"));
    default:
      break;
  }
  if (error == SSL_ERROR_SYSCALL && saved_errno != 0) {
    return absl::UnavailableError(
        absl::StrCat("the TLS handshake failed: ", std::strerror(saved_errno),
                     saved_errno == EAGAIN ? " (timed out waiting for the NAF)" : ""));
  }
  return absl::UnavailableError(
      absl::StrCat("the TLS handshake failed: ", detail, " (is this the NAF's TLS port?)"));
}

// Why a handshake failed, from the NAF's point of view.
absl::Status ServerHandshakeError(SSL* ssl, int rc, const ConnectionState& state) {
  const int error = SSL_get_error(ssl, rc);
  const int saved_errno = errno;
  const std::string detail = OpenSslErrors();
  if (state.lookup_ran && !state.lookup.ok()) {
    if (!state.parsed.has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("rejected PSK identity: ", state.lookup.message()));
    }
    if (absl::IsNotFound(state.lookup)) {
      return absl::NotFoundError(
          absl::StrCat("unknown B-TID ", state.parsed->btid, ": ", state.lookup.message()));
    }
    return absl::Status(state.lookup.code(), absl::StrCat("no key for B-TID ", state.parsed->btid,
                                                          ": ", state.lookup.message()));
  }
  if (state.lookup_ran &&
      (state.alert_sent == SSL_AD_BAD_RECORD_MAC || state.alert_sent == SSL_AD_DECRYPT_ERROR)) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the device's key for B-TID ", state.parsed ? state.parsed->btid : "?",
        " differs from the BSF's (its Finished message did not verify): wrong key, or a key "
        "derived for another NAF FQDN or Ua id"));
  }
  if (error == SSL_ERROR_SYSCALL && saved_errno != 0) {
    return absl::UnavailableError(
        absl::StrCat("the TLS handshake failed: ", std::strerror(saved_errno),
                     saved_errno == EAGAIN ? " (timed out waiting for the device)" : ""));
  }
  return absl::UnavailableError(absl::StrCat("the TLS handshake failed: ", detail));
}

}  // namespace

absl::StatusOr<ClientSessionResult> RunClientSession(int fd, ClientSessionOptions options) {
  if (options.message.find('\n') != std::string::npos || options.message.size() > kMaxLineLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("the message must be one line of at most ", kMaxLineLength, " bytes"));
  }
  absl::StatusOr<SSL_CTX*> ctx = NewContext(/*server=*/false);
  if (!ctx.ok()) return ctx.status();
  SSL_CTX_set_psk_client_callback(*ctx, ClientPskCallback);
  SslPtr ssl(SSL_new(*ctx));
  SSL_CTX_free(*ctx);  // the SSL holds its own reference
  if (ssl == nullptr) return absl::InternalError("SSL_new failed: " + OpenSslErrors());

  ConnectionState state;
  state.identity = &options.identity;
  state.psk = &options.psk;
  SSL_set_app_data(ssl.get(), &state);
  SSL_set_fd(ssl.get(), fd);
  if (!options.server_name.empty()) {
    SSL_set_tlsext_host_name(ssl.get(), options.server_name.c_str());
  }

  ERR_clear_error();
  errno = 0;
  const int rc = SSL_connect(ssl.get());
  options.psk.Clear();  // whatever happened, the key is not needed any more
  if (rc != 1) return ClientHandshakeError(ssl.get(), rc, state);

  ClientSessionResult result;
  result.cipher = CipherName(ssl.get());
  result.protocol = SSL_get_version(ssl.get());
  if (result.cipher != kOpenSslCipher || SSL_version(ssl.get()) != TLS1_2_VERSION) {
    return absl::InternalError(absl::StrCat("negotiated ", result.protocol, " ", result.cipher,
                                            ", not TLSv1.2 ", kOpenSslCipher));
  }
  if (absl::Status sent = WriteAll(ssl.get(), options.message + "\n"); !sent.ok()) return sent;
  absl::StatusOr<std::string> reply = ReadLine(ssl.get());
  if (!reply.ok()) return reply.status();
  result.reply = *std::move(reply);
  SSL_shutdown(ssl.get());
  return result;
}

absl::StatusOr<std::unique_ptr<NafTlsServer>> NafTlsServer::Create(NafKeySource& keys) {
  absl::StatusOr<SSL_CTX*> ctx = NewContext(/*server=*/true);
  if (!ctx.ok()) return ctx.status();
  // The hint tells the device to answer with a GBA identity (TS 24.109 Annex F.3 step 2).
  if (SSL_CTX_use_psk_identity_hint(*ctx, std::string(kPskIdentityHint).c_str()) != 1) {
    SSL_CTX_free(*ctx);
    return absl::InternalError("cannot set the PSK identity hint: " + OpenSslErrors());
  }
  SSL_CTX_set_psk_server_callback(*ctx, ServerPskCallback);
  return std::unique_ptr<NafTlsServer>(new NafTlsServer(keys, *ctx));
}

NafTlsServer::~NafTlsServer() { SSL_CTX_free(ctx_); }

absl::StatusOr<ServerSessionResult> NafTlsServer::Serve(int fd, PskIdentity* parsed) {
  SslPtr ssl(SSL_new(ctx_));
  if (ssl == nullptr) return absl::InternalError("SSL_new failed: " + OpenSslErrors());
  ConnectionState state;
  state.keys = &keys_;
  SSL_set_app_data(ssl.get(), &state);
  SSL_set_fd(ssl.get(), fd);

  ERR_clear_error();
  errno = 0;
  const int rc = SSL_accept(ssl.get());
  if (parsed != nullptr && state.parsed.has_value()) *parsed = *state.parsed;
  if (rc != 1) return ServerHandshakeError(ssl.get(), rc, state);
  if (!state.parsed.has_value()) return absl::InternalError("handshake without a PSK identity");

  ServerSessionResult result;
  const char* identity = SSL_get_psk_identity(ssl.get());
  result.identity = identity == nullptr ? "" : identity;
  result.parsed = *state.parsed;
  result.cipher = CipherName(ssl.get());
  result.protocol = SSL_get_version(ssl.get());
  absl::StatusOr<std::string> line = ReadLine(ssl.get());
  if (!line.ok()) return line.status();
  result.line = *std::move(line);
  const std::string reply =
      absl::StrCat("hello ", result.identity, ", you sent: ", result.line, "\n");
  if (absl::Status sent = WriteAll(ssl.get(), reply); !sent.ok()) return sent;
  SSL_shutdown(ssl.get());
  return result;
}

}  // namespace gbabridge::examples

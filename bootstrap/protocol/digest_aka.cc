#include "bootstrap/protocol/digest_aka.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "bootstrap/protocol/base64.h"

namespace gbabridge {
namespace {

// ---------------------------------------------------------------------------------------
// auth-param tokenizer (RFC 7235 §2.1, RFC 7230 §3.2.6 and §7)
// ---------------------------------------------------------------------------------------

// Header values come from the network: bound what we are willing to look at so that a
// hostile peer cannot make us allocate or loop without limit.
constexpr size_t kMaxHeaderSize = 8 * 1024;
constexpr size_t kMaxParams = 32;
constexpr size_t kAkaNonceMinSize = 32;  // RAND (16) || AUTN (16), RFC 3310 §3.2

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

// tchar (RFC 7230 §3.2.6).
bool IsTchar(char c) {
  if (absl::ascii_isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTchar(c)) return false;
  }
  return true;
}

bool IsWhitespace(char c) { return c == ' ' || c == '\t'; }

// qdtext (RFC 7230 §3.2.6): HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text.
bool IsQdtext(unsigned char c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5B) ||
         (c >= 0x5D && c <= 0x7E) || c >= 0x80;
}

// The second character of a quoted-pair: HTAB / SP / VCHAR / obs-text.
bool IsQuotedPairChar(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7F); }

bool IsHex(std::string_view s) {
  for (char c : s) {
    if (!absl::ascii_isxdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

struct AuthParams {
  std::vector<std::pair<std::string, std::string>> entries;  // names lower-cased

  const std::string* Find(std::string_view name) const {
    for (const auto& [n, v] : entries) {
      if (n == name) return &v;
    }
    return nullptr;
  }
  std::optional<std::string> Optional(std::string_view name) const {
    const std::string* v = Find(name);
    return v == nullptr ? std::nullopt : std::optional<std::string>(*v);
  }
};

class Tokenizer {
 public:
  explicit Tokenizer(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  size_t pos() const { return pos_; }
  void Advance() { ++pos_; }
  void Seek(size_t pos) { pos_ = pos; }
  void SkipWhitespace() {
    while (!AtEnd() && IsWhitespace(Peek())) ++pos_;
  }
  std::string_view Token() {
    const size_t start = pos_;
    while (!AtEnd() && IsTchar(Peek())) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  // After the opening DQUOTE: reads up to and including the closing one, unescaping
  // quoted-pairs.
  absl::StatusOr<std::string> QuotedStringBody(absl::string_view header) {
    std::string out;
    while (!AtEnd()) {
      const unsigned char c = static_cast<unsigned char>(Peek());
      if (c == '"') {
        ++pos_;
        return out;
      }
      if (c == '\\') {
        ++pos_;
        if (AtEnd()) break;
        const unsigned char escaped = static_cast<unsigned char>(Peek());
        if (!IsQuotedPairChar(escaped)) {
          return absl::InvalidArgumentError(absl::StrCat(
              header, ": invalid character after '\\' in a quoted string at position ", pos_));
        }
        out.push_back(static_cast<char>(escaped));
        ++pos_;
        continue;
      }
      if (!IsQdtext(c)) {
        return absl::InvalidArgumentError(
            absl::StrCat(header, ": control character in a quoted string at position ", pos_));
      }
      out.push_back(static_cast<char>(c));
      ++pos_;
    }
    return absl::InvalidArgumentError(
        absl::StrCat(header, ": unterminated quoted string (RFC 7230 §3.2.6)"));
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

enum class Scheme { kRequired, kOptional };

// Parses `Digest #auth-param` (scheme required) or `#auth-param` (Authentication-Info,
// RFC 7615 §3, where a leading `Digest` that some servers send is tolerated). Values are
// token or quoted-string alike (RFC 7235 §2.2: recipients accept both). Parameter names
// are case-insensitive (RFC 7235 §2.1); a repeated name is an error (RFC 7235 §2.1: each
// parameter name occurs only once), as guessing which one counts invites smuggling.
absl::StatusOr<AuthParams> ParseAuthParams(std::string_view value, absl::string_view header,
                                           Scheme scheme) {
  // Nothing from `value` is echoed into errors: an Authorization header carries a
  // username and the response, and errors end up in logs.
  if (value.size() > kMaxHeaderSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(header, " is ", value.size(), " bytes; at most 8192 are accepted"));
  }
  Tokenizer t(value);
  t.SkipWhitespace();
  if (t.AtEnd()) return absl::InvalidArgumentError(absl::StrCat(header, " is empty"));

  {
    const size_t start = t.pos();
    const std::string_view first = t.Token();
    const size_t after_token = t.pos();
    t.SkipWhitespace();
    // An auth-scheme is a token followed by whitespace (or nothing), not by '='.
    const bool looks_like_scheme =
        !first.empty() && (t.AtEnd() || (t.pos() > after_token && t.Peek() != '='));
    const bool is_digest = absl::EqualsIgnoreCase(Sv(first), "Digest");
    if (scheme == Scheme::kRequired) {
      if (!looks_like_scheme) {
        return absl::InvalidArgumentError(
            absl::StrCat(header, ": must start with the auth-scheme \"Digest\" (RFC 7235 §2.1)"));
      }
      if (!is_digest) {
        return absl::InvalidArgumentError(absl::StrCat(header, ": not a Digest header"));
      }
    } else if (!(looks_like_scheme && is_digest)) {
      t.Seek(start);  // no scheme: the first token is a parameter name
    }
  }

  AuthParams params;
  while (true) {
    t.SkipWhitespace();
    if (t.AtEnd()) break;
    if (t.Peek() == ',') {  // empty list element (RFC 7230 §7: recipients skip them)
      t.Advance();
      continue;
    }
    const size_t name_pos = t.pos();
    const std::string_view name = t.Token();
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(header, ": expected a parameter name at position ", name_pos));
    }
    t.SkipWhitespace();
    if (t.AtEnd() || t.Peek() != '=') {
      return absl::InvalidArgumentError(
          absl::StrCat(header, ": missing '=' after the parameter name at position ", name_pos));
    }
    t.Advance();
    t.SkipWhitespace();
    std::string v;
    if (!t.AtEnd() && t.Peek() == '"') {
      t.Advance();
      absl::StatusOr<std::string> quoted = t.QuotedStringBody(header);
      if (!quoted.ok()) return quoted.status();
      v = *std::move(quoted);
    } else {
      const size_t value_pos = t.pos();
      v = std::string(t.Token());
      if (v.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(header, ": missing or invalid parameter value at position ", value_pos));
      }
    }
    std::string lower_name = absl::AsciiStrToLower(Sv(name));
    if (params.Find(lower_name) != nullptr) {
      return absl::InvalidArgumentError(absl::StrCat(header, ": parameter \"",
                                                     absl::string_view(lower_name).substr(0, 32),
                                                     "\" appears more than once"));
    }
    if (params.entries.size() >= kMaxParams) {
      return absl::InvalidArgumentError(
          absl::StrCat(header, ": more than ", kMaxParams, " parameters"));
    }
    params.entries.emplace_back(std::move(lower_name), std::move(v));
    t.SkipWhitespace();
    if (t.AtEnd()) break;
    if (t.Peek() != ',') {
      return absl::InvalidArgumentError(
          absl::StrCat(header, ": expected ',' between parameters at position ", t.pos()));
    }
    t.Advance();
  }
  return params;
}

absl::StatusOr<std::string> Required(const AuthParams& params, std::string_view name,
                                     absl::string_view header) {
  const std::string* v = params.Find(name);
  if (v == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(header, ": missing required parameter \"", Sv(name), "\""));
  }
  return *v;
}

// nc is exactly 8 hex digits (RFC 2617 §3.2.2).
absl::Status CheckNonceCount(const std::optional<std::string>& nc, absl::string_view header) {
  if (nc.has_value() && (nc->size() != 8 || !IsHex(*nc))) {
    return absl::InvalidArgumentError(
        absl::StrCat(header, ": nc must be 8 hex digits (RFC 2617 §3.2.2)"));
  }
  return absl::OkStatus();
}

// A digest is lower-case hex (RFC 2617 §3.2.2): 32 digits for MD5, 64 for the SHA-256
// family of RFC 7616. Empty is allowed for the first, credential-less request on Ub
// (TS 24.109 §4.4: response="").
absl::Status CheckDigestHex(std::string_view value, std::string_view name,
                            absl::string_view header) {
  if (!(value.empty() || value.size() == 32 || value.size() == 64) || !IsHex(value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        header, ": ", Sv(name), " must be empty or 32/64 hex digits (RFC 2617 §3.2.2)"));
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------
// Formatting
// ---------------------------------------------------------------------------------------

// quoted-string with '"' and '\' escaped. Characters that a quoted-string cannot carry
// (controls other than HTAB, DEL) are dropped: they would otherwise allow header
// injection, and no legitimate digest parameter contains them.
void AppendQuoted(std::string& out, std::string_view value) {
  out.push_back('"');
  for (char ch : value) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (IsQdtext(c)) {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

class ParamWriter {
 public:
  explicit ParamWriter(std::string prefix) : out_(std::move(prefix)) {}
  void Quoted(std::string_view name, std::string_view value) {
    Separator(name);
    AppendQuoted(out_, value);
  }
  // Token form (RFC 2617 writes algorithm, nc, message-qop and stale unquoted); falls back
  // to a quoted-string when the value is not a token, so that the output always parses.
  void Token(std::string_view name, std::string_view value) {
    if (!IsToken(value)) return Quoted(name, value);
    Separator(name);
    out_.append(value);
  }
  std::string Take() { return std::move(out_); }

 private:
  void Separator(std::string_view name) {
    if (!first_) out_.append(", ");
    first_ = false;
    out_.append(name);
    out_.push_back('=');
  }
  std::string out_;
  bool first_ = true;
};

// ---------------------------------------------------------------------------------------
// MD5 (RFC 1321) on OpenSSL 3 EVP
// ---------------------------------------------------------------------------------------

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// Fetched once per process (EVP_MD_fetch walks the provider store); never freed.
const EVP_MD* Md5() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "MD5", nullptr);
  return md;
}

// One context per thread, so that hashing neither allocates nor contends on a lock.
EVP_MD_CTX* ThreadMdContext() {
  thread_local std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx;
  if (ctx == nullptr) ctx.reset(EVP_MD_CTX_new());
  return ctx.get();
}

constexpr size_t kMd5HexSize = 32;

// A lower-case hex MD5 that is wiped when it goes out of scope: HA1 is
// password-equivalent (RFC 2617 §4.13).
struct Md5Hex {
  std::array<char, kMd5HexSize> hex{};
  Md5Hex() = default;
  Md5Hex(const Md5Hex&) = delete;
  Md5Hex& operator=(const Md5Hex&) = delete;
  ~Md5Hex() { OPENSSL_cleanse(hex.data(), hex.size()); }
  ByteView view() const { return AsBytes(std::string_view(hex.data(), hex.size())); }
};

// MD5 over the concatenation of `parts`.
absl::Status Md5Of(std::initializer_list<ByteView> parts, Md5Hex& out) {
  const EVP_MD* md = Md5();
  EVP_MD_CTX* ctx = ThreadMdContext();
  if (md == nullptr || ctx == nullptr) {
    return absl::InternalError("OpenSSL has no MD5 (is the default provider loaded?)");
  }
  bool ok = EVP_DigestInit_ex2(ctx, md, nullptr) == 1;
  for (ByteView p : parts) {
    if (!p.empty()) ok = ok && EVP_DigestUpdate(ctx, p.data(), p.size()) == 1;
  }
  std::array<unsigned char, 16> digest{};
  unsigned int size = 0;
  ok = ok && EVP_DigestFinal_ex(ctx, digest.data(), &size) == 1 && size == digest.size();
  if (!ok) return absl::InternalError("OpenSSL failed to compute MD5 for HTTP Digest");
  static constexpr char kDigits[] = "0123456789abcdef";
  for (size_t i = 0; i < digest.size(); ++i) {
    out.hex[2 * i] = kDigits[digest[i] >> 4];
    out.hex[2 * i + 1] = kDigits[digest[i] & 0x0f];
  }
  OPENSSL_cleanse(digest.data(), digest.size());
  return absl::OkStatus();
}

enum class Qop { kNone, kAuth, kAuthInt };

absl::StatusOr<Qop> CheckDigestInputs(const DigestAuthorization& a) {
  // RFC 3310 §3.3: AKAv1-MD5 computes the digest exactly as RFC 2617's MD5 does, with RES
  // as the password. The -sess variants and AKAv2 (RFC 4169, a derived password) are not
  // implemented: refusing is better than a response the server cannot verify.
  const absl::string_view algorithm = Sv(a.algorithm);
  if (!(algorithm.empty() || absl::EqualsIgnoreCase(algorithm, kAkaV1Md5) ||
        absl::EqualsIgnoreCase(algorithm, "MD5"))) {
    return absl::InvalidArgumentError(
        "HTTP Digest: only the MD5 and AKAv1-MD5 algorithms are supported (RFC 2617, RFC 3310)");
  }
  if (!a.qop.has_value()) return Qop::kNone;
  Qop qop;
  if (absl::EqualsIgnoreCase(Sv(*a.qop), kQopAuthInt)) {
    qop = Qop::kAuthInt;
  } else if (absl::EqualsIgnoreCase(Sv(*a.qop), "auth")) {
    qop = Qop::kAuth;
  } else {
    return absl::InvalidArgumentError(
        "HTTP Digest: qop must be \"auth\" or \"auth-int\" (one value, RFC 2617 §3.2.2)");
  }
  // RFC 2617 §3.2.2: with a qop, the client's cnonce and the nonce count are hashed too.
  if (!a.nc.has_value() || !a.cnonce.has_value()) {
    return absl::InvalidArgumentError("HTTP Digest: qop requires nc and cnonce (RFC 2617 §3.2.2)");
  }
  if (absl::Status s = CheckNonceCount(a.nc, "HTTP Digest"); !s.ok()) return s;
  return qop;
}

// RFC 2617 §3.2.2.1-3 (and RFC 2069 when there is no qop).
absl::StatusOr<std::string> ComputeDigest(const DigestAuthorization& a, const SecretBytes& password,
                                          std::string_view method, ByteView body) {
  absl::StatusOr<Qop> qop = CheckDigestInputs(a);
  if (!qop.ok()) return qop.status();
  const ByteView colon = AsBytes(":");

  // HA2 first, then HA1, then the response: the thread's MD5 context ends up holding the
  // (public) response, not a password-derived state.
  Md5Hex ha2;
  if (*qop == Qop::kAuthInt) {
    // A2 = Method ":" digest-uri-value ":" H(entity-body) (RFC 2617 §3.2.2.3).
    Md5Hex body_hash;
    if (absl::Status s = Md5Of({body}, body_hash); !s.ok()) return s;
    if (absl::Status s =
            Md5Of({AsBytes(method), colon, AsBytes(a.uri), colon, body_hash.view()}, ha2);
        !s.ok()) {
      return s;
    }
  } else {
    // A2 = Method ":" digest-uri-value.
    if (absl::Status s = Md5Of({AsBytes(method), colon, AsBytes(a.uri)}, ha2); !s.ok()) return s;
  }

  // A1 = unq(username) ":" unq(realm) ":" passwd (RFC 2617 §3.2.2.2); for AKAv1-MD5 the
  // password is RES as raw bytes, or empty when sending AUTS (RFC 3310 §3.3, §3.4).
  Md5Hex ha1;
  if (absl::Status s =
          Md5Of({AsBytes(a.username), colon, AsBytes(a.realm), colon, password.view()}, ha1);
      !s.ok()) {
    return s;
  }

  Md5Hex response;
  if (*qop == Qop::kNone) {
    // RFC 2069 compatibility: KD(H(A1), nonce ":" H(A2)).
    if (absl::Status s = Md5Of({ha1.view(), colon, AsBytes(a.nonce), colon, ha2.view()}, response);
        !s.ok()) {
      return s;
    }
  } else {
    // KD(H(A1), nonce ":" nc ":" cnonce ":" qop ":" H(A2)) (RFC 2617 §3.2.2.1).
    if (absl::Status s = Md5Of({ha1.view(), colon, AsBytes(a.nonce), colon, AsBytes(*a.nc), colon,
                                AsBytes(*a.cnonce), colon, AsBytes(*a.qop), colon, ha2.view()},
                               response);
        !s.ok()) {
      return s;
    }
  }
  return std::string(response.hex.data(), response.hex.size());
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Headers
// ---------------------------------------------------------------------------------------

absl::StatusOr<DigestChallenge> ParseWwwAuthenticate(std::string_view value) {
  constexpr absl::string_view kHeader = "WWW-Authenticate";
  absl::StatusOr<AuthParams> params = ParseAuthParams(value, kHeader, Scheme::kRequired);
  if (!params.ok()) return params.status();
  DigestChallenge c;
  // RFC 7616 §3.3: realm and nonce are required; algorithm and qop are optional (an
  // absent algorithm means MD5, left empty here so that a round trip is faithful).
  absl::StatusOr<std::string> realm = Required(*params, "realm", kHeader);
  if (!realm.ok()) return realm.status();
  absl::StatusOr<std::string> nonce = Required(*params, "nonce", kHeader);
  if (!nonce.ok()) return nonce.status();
  c.realm = *std::move(realm);
  c.nonce = *std::move(nonce);
  c.algorithm = params->Optional("algorithm").value_or("");
  c.qop = params->Optional("qop").value_or("");
  c.opaque = params->Optional("opaque");
  if (const std::string* stale = params->Find("stale"); stale != nullptr) {
    // RFC 7616 §3.3: "true" (case-insensitive) means stale; anything else means not.
    c.stale = absl::EqualsIgnoreCase(*stale, "true");
  }
  return c;
}

std::string FormatWwwAuthenticate(const DigestChallenge& challenge) {
  ParamWriter w("Digest ");
  w.Quoted("realm", challenge.realm);
  w.Quoted("nonce", challenge.nonce);
  if (!challenge.algorithm.empty()) w.Token("algorithm", challenge.algorithm);
  // In a challenge qop-options is always a quoted-string (RFC 2617 §3.2.1).
  if (!challenge.qop.empty()) w.Quoted("qop", challenge.qop);
  if (challenge.opaque.has_value()) w.Quoted("opaque", *challenge.opaque);
  if (challenge.stale) w.Token("stale", "true");
  return w.Take();
}

absl::StatusOr<DigestAuthorization> ParseAuthorization(std::string_view value) {
  constexpr absl::string_view kHeader = "Authorization";
  absl::StatusOr<AuthParams> params = ParseAuthParams(value, kHeader, Scheme::kRequired);
  if (!params.ok()) return params.status();
  DigestAuthorization a;
  // RFC 2617 §3.2.2: username, realm, nonce, uri and response are required. On Ub the
  // first request sends them with nonce="" and response="" (TS 24.109 §4.4).
  for (auto [name, field] : {std::pair{"username", &a.username}, std::pair{"realm", &a.realm},
                             std::pair{"nonce", &a.nonce}, std::pair{"uri", &a.uri},
                             std::pair{"response", &a.response}}) {
    absl::StatusOr<std::string> v = Required(*params, name, kHeader);
    if (!v.ok()) return v.status();
    *field = *std::move(v);
  }
  if (absl::Status s = CheckDigestHex(a.response, "response", kHeader); !s.ok()) return s;
  a.algorithm = params->Optional("algorithm").value_or("");
  a.qop = params->Optional("qop");
  a.nc = params->Optional("nc");
  a.cnonce = params->Optional("cnonce");
  a.opaque = params->Optional("opaque");
  a.auts = params->Optional("auts");
  if (absl::Status s = CheckNonceCount(a.nc, kHeader); !s.ok()) return s;
  // RFC 2617 §3.2.2: cnonce and nc MUST be sent when qop is.
  if (a.qop.has_value() && (!a.cnonce.has_value() || !a.nc.has_value())) {
    return absl::InvalidArgumentError(
        "Authorization: qop is present but nc or cnonce is missing (RFC 2617 §3.2.2)");
  }
  return a;
}

std::string FormatAuthorization(const DigestAuthorization& a) {
  ParamWriter w("Digest ");
  w.Quoted("username", a.username);
  w.Quoted("realm", a.realm);
  w.Quoted("nonce", a.nonce);
  w.Quoted("uri", a.uri);
  w.Quoted("response", a.response);
  if (!a.algorithm.empty()) w.Token("algorithm", a.algorithm);
  // message-qop and nonce-count are tokens in credentials (RFC 2617 §3.2.2 and its
  // example); cnonce, opaque and auts are quoted-strings (RFC 2617, RFC 3310 §3.4).
  if (a.qop.has_value()) w.Token("qop", *a.qop);
  if (a.nc.has_value()) w.Token("nc", *a.nc);
  if (a.cnonce.has_value()) w.Quoted("cnonce", *a.cnonce);
  if (a.opaque.has_value()) w.Quoted("opaque", *a.opaque);
  if (a.auts.has_value()) w.Quoted("auts", *a.auts);
  return w.Take();
}

absl::StatusOr<AuthenticationInfo> ParseAuthenticationInfo(std::string_view value) {
  constexpr absl::string_view kHeader = "Authentication-Info";
  absl::StatusOr<AuthParams> params = ParseAuthParams(value, kHeader, Scheme::kOptional);
  if (!params.ok()) return params.status();
  AuthenticationInfo info;
  // rspauth is what gives mutual authentication on Ub (TS 33.220 §4.5.2, RFC 3310 §3.5):
  // without it there is nothing to verify, so it is required here.
  absl::StatusOr<std::string> rspauth = Required(*params, "rspauth", kHeader);
  if (!rspauth.ok()) return rspauth.status();
  info.rspauth = *std::move(rspauth);
  if (info.rspauth.empty()) {
    return absl::InvalidArgumentError("Authentication-Info: rspauth is empty");
  }
  if (absl::Status s = CheckDigestHex(info.rspauth, "rspauth", kHeader); !s.ok()) return s;
  info.qop = params->Optional("qop");
  info.cnonce = params->Optional("cnonce");
  info.nc = params->Optional("nc");
  info.nextnonce = params->Optional("nextnonce");
  if (absl::Status s = CheckNonceCount(info.nc, kHeader); !s.ok()) return s;
  return info;
}

std::string FormatAuthenticationInfo(const AuthenticationInfo& info) {
  // No auth-scheme: Authentication-Info is a bare list of auth-params (RFC 2617 §3.2.3,
  // RFC 7615 §3).
  ParamWriter w("");
  if (info.qop.has_value()) w.Token("qop", *info.qop);
  w.Quoted("rspauth", info.rspauth);
  if (info.cnonce.has_value()) w.Quoted("cnonce", *info.cnonce);
  if (info.nc.has_value()) w.Token("nc", *info.nc);
  if (info.nextnonce.has_value()) w.Quoted("nextnonce", *info.nextnonce);
  return w.Take();
}

// ---------------------------------------------------------------------------------------
// AKA nonce
// ---------------------------------------------------------------------------------------

absl::StatusOr<AkaNonce> DecodeAkaNonce(std::string_view nonce) {
  if (nonce.size() > kMaxHeaderSize) {
    return absl::InvalidArgumentError("AKA nonce is too long");
  }
  absl::StatusOr<Bytes> bytes = Base64Decode(nonce);
  if (!bytes.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("AKA nonce is not valid base64 (RFC 3310 §3.2): ", bytes.status().message()));
  }
  if (bytes->size() < kAkaNonceMinSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("AKA nonce decodes to ", bytes->size(),
                     " bytes; it must hold RAND (16) and AUTN (16) (RFC 3310 §3.2)"));
  }
  AkaNonce out;
  out.rand.assign(bytes->begin(), bytes->begin() + 16);
  out.autn.assign(bytes->begin() + 16, bytes->begin() + 32);
  out.server_data.assign(bytes->begin() + 32, bytes->end());
  return out;
}

std::string EncodeAkaNonce(const AkaNonce& nonce) {
  // nonce = base64(RAND || AUTN || server specific data) (RFC 3310 §3.2). Sizes are the
  // caller's to get right (16 and 16); DecodeAkaNonce checks them on the other side.
  Bytes raw;
  raw.reserve(nonce.rand.size() + nonce.autn.size() + nonce.server_data.size());
  raw.insert(raw.end(), nonce.rand.begin(), nonce.rand.end());
  raw.insert(raw.end(), nonce.autn.begin(), nonce.autn.end());
  raw.insert(raw.end(), nonce.server_data.begin(), nonce.server_data.end());
  return Base64Encode(raw);
}

// ---------------------------------------------------------------------------------------
// Digest computations
// ---------------------------------------------------------------------------------------

absl::StatusOr<std::string> ComputeDigestResponse(const DigestAuthorization& authorization,
                                                  const SecretBytes& password,
                                                  std::string_view method, ByteView entity_body) {
  return ComputeDigest(authorization, password, method, entity_body);
}

absl::StatusOr<std::string> ComputeRspauth(const DigestAuthorization& authorization,
                                           const SecretBytes& password, ByteView response_body) {
  // RFC 2617 §3.2.3: response-auth uses A2 = ":" digest-uri-value [":" H(entity-body)],
  // i.e. the request digest with an empty method, over the response's body.
  return ComputeDigest(authorization, password, "", response_body);
}

bool DigestEquals(std::string_view a, std::string_view b) {
  // Lengths are public (32 hex digits for MD5). An empty value is never a valid digest;
  // refusing it keeps "" == "" (e.g. the credential-less first request) from matching.
  if (a.empty() || b.empty() || a.size() != b.size()) return false;
  std::string la = absl::AsciiStrToLower(Sv(a));
  std::string lb = absl::AsciiStrToLower(Sv(b));
  return CRYPTO_memcmp(la.data(), lb.data(), la.size()) == 0;
}

}  // namespace gbabridge

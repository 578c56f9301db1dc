#include "bootstrap/protocol/bootstrapping_info.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <pugixml.hpp>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"

namespace gbabridge {
namespace {

// The body is a few hundred bytes; anything far larger is not a BootstrappingInfo.
constexpr size_t kMaxBodySize = 64 * 1024;
constexpr size_t kMaxBtidSize = 1024;
constexpr size_t kMaxDateTimeSize = 64;

absl::string_view Sv(std::string_view s) { return absl::string_view(s.data(), s.size()); }

std::string_view LocalName(std::string_view qname) {
  const size_t colon = qname.find(':');
  return colon == std::string_view::npos ? qname : qname.substr(colon + 1);
}

// The namespace URI of an element (Namespaces in XML 1.0 §6): the nearest in-scope
// xmlns / xmlns:prefix declaration. "" when the element has no prefix and no default
// namespace is in scope; nullopt when its prefix is not declared (a namespace error).
std::optional<std::string> NamespaceOf(pugi::xml_node element) {
  const std::string_view qname = element.name();
  const size_t colon = qname.find(':');
  const std::string attribute = colon == std::string_view::npos
                                    ? std::string("xmlns")
                                    : absl::StrCat("xmlns:", Sv(qname.substr(0, colon)));
  for (pugi::xml_node n = element; n.type() == pugi::node_element; n = n.parent()) {
    if (pugi::xml_attribute a = n.attribute(attribute.c_str()); a) return std::string(a.value());
  }
  if (colon == std::string_view::npos) return std::string();
  return std::nullopt;
}

std::string_view Trim(std::string_view s) {
  // xs:dateTime collapses whitespace (XML Schema Part 2 §3.2.7); btid is trimmed too, as a
  // pretty-printed body may wrap it in new lines.
  const absl::string_view t = absl::StripAsciiWhitespace(Sv(s));
  return std::string_view(t.data(), t.size());
}

class StringWriter : public pugi::xml_writer {
 public:
  void write(const void* data, size_t size) override {
    out.append(static_cast<const char*>(data), size);
  }
  std::string out;
};

// Reads exactly `n` decimal digits at `pos`.
std::optional<int> Digits(std::string_view s, size_t& pos, size_t n) {
  if (pos + n > s.size()) return std::nullopt;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  pos += n;
  return v;
}

bool Expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

absl::Status DateTimeError(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("lifetime is not a valid xs:dateTime: ", why));
}

}  // namespace

absl::StatusOr<absl::Time> ParseXsDateTime(std::string_view input) {
  // The subset of xs:dateTime (XML Schema Part 2 §3.2.7) that a BSF sends:
  // YYYY-MM-DDThh:mm:ss[.f+](Z|+hh:mm|-hh:mm).
  const std::string_view s = Trim(input);
  if (s.size() > kMaxDateTimeSize) return DateTimeError("too long");
  size_t pos = 0;
  const std::optional<int> year = Digits(s, pos, 4);
  if (!year || !Expect(s, pos, '-')) return DateTimeError("expected YYYY- at the start");
  const std::optional<int> month = Digits(s, pos, 2);
  if (!month || !Expect(s, pos, '-')) return DateTimeError("expected MM- after the year");
  const std::optional<int> day = Digits(s, pos, 2);
  if (!day || !Expect(s, pos, 'T')) return DateTimeError("expected DD then 'T' after the month");
  const std::optional<int> hour = Digits(s, pos, 2);
  if (!hour || !Expect(s, pos, ':')) return DateTimeError("expected hh: after 'T'");
  const std::optional<int> minute = Digits(s, pos, 2);
  if (!minute || !Expect(s, pos, ':')) return DateTimeError("expected mm: after the hour");
  const std::optional<int> second = Digits(s, pos, 2);
  if (!second) return DateTimeError("expected ss after the minutes");

  if (*year == 0) return DateTimeError("year 0000 is not allowed (XML Schema 1.0)");
  if (*month < 1 || *month > 12) return DateTimeError("month out of range");
  const absl::CivilDay civil_day(*year, *month, *day);
  if (*day < 1 || civil_day.day() != *day || civil_day.month() != *month) {
    return DateTimeError("day out of range for the month");
  }
  if (*hour > 23) {
    // 24:00:00 is legal xs:dateTime for the end of a day, but no BSF sends it.
    return DateTimeError("hour out of range (24:00:00 is not supported)");
  }
  if (*minute > 59) return DateTimeError("minutes out of range");
  if (*second > 59) return DateTimeError("seconds out of range");

  absl::Duration fraction;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    const size_t start = pos;
    int64_t nanos = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      // Digits past nanoseconds are read and dropped (absl::Time resolution is finer, but
      // no lifetime needs it).
      if (pos - start < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++pos;
    }
    if (pos == start) return DateTimeError("expected digits after '.'");
    for (size_t i = std::min<size_t>(pos - start, 9); i < 9; ++i) nanos *= 10;
    fraction = absl::Nanoseconds(nanos);
  }

  if (pos >= s.size()) {
    // Without a zone an xs:dateTime is local time at an unknown offset, so the instant of
    // expiry is unknown; TS 24.109 Annex C requires UTC ("Z").
    return DateTimeError(
        "it has no time zone (add 'Z' or +hh:mm); the expiry instant would be ambiguous");
  }
  absl::Duration offset;
  if (s[pos] == 'Z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    const bool negative = s[pos] == '-';
    ++pos;
    const std::optional<int> tz_hour = Digits(s, pos, 2);
    if (!tz_hour || !Expect(s, pos, ':')) return DateTimeError("time zone must be +hh:mm");
    const std::optional<int> tz_minute = Digits(s, pos, 2);
    if (!tz_minute) return DateTimeError("time zone must be +hh:mm");
    // XML Schema Part 2 §3.2.7.3: offsets range over -14:00..+14:00.
    if (*tz_minute > 59 || *tz_hour > 14 || (*tz_hour == 14 && *tz_minute != 0)) {
      return DateTimeError("time zone offset out of range (-14:00..+14:00)");
    }
    offset = absl::Hours(*tz_hour) + absl::Minutes(*tz_minute);
    if (negative) offset = -offset;
  } else {
    return DateTimeError("expected 'Z', '+hh:mm' or '-hh:mm' after the time");
  }
  if (pos != s.size()) return DateTimeError("unexpected characters after the time zone");

  const absl::CivilSecond civil(*year, *month, *day, *hour, *minute, *second);
  // Local time = UTC + offset, so UTC = local time - offset.
  return absl::FromCivil(civil, absl::UTCTimeZone()) + fraction - offset;
}

std::string FormatUtcDateTime(absl::Time t) {
  // UTC with 'Z' (TS 24.109 Annex C); %E*S prints a fraction only when there is one.
  return absl::FormatTime("%E4Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

absl::StatusOr<BootstrappingInfo> ParseBootstrappingInfo(std::string_view xml) {
  if (xml.empty()) return absl::InvalidArgumentError("BootstrappingInfo body is empty");
  if (xml.size() > kMaxBodySize) {
    return absl::InvalidArgumentError(
        absl::StrCat("BootstrappingInfo body is ", xml.size(), " bytes; at most 65536 accepted"));
  }
  pugi::xml_document doc;
  // parse_default expands only the predefined and character entities (no DTD, no
  // external entities), so a hostile body cannot make us fetch or expand anything.
  const pugi::xml_parse_result parsed =
      doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    return absl::InvalidArgumentError(
        absl::StrCat("BootstrappingInfo XML is malformed: ", parsed.description(), " at offset ",
                     parsed.offset));
  }
  // pugixml accepts several top-level elements; a well-formed document has exactly one.
  size_t roots = 0;
  for (pugi::xml_node n : doc.children()) roots += n.type() == pugi::node_element ? 1 : 0;
  if (roots != 1) {
    return absl::InvalidArgumentError(
        "BootstrappingInfo XML is malformed: it must have exactly one root element");
  }
  const pugi::xml_node root = doc.document_element();
  const std::optional<std::string> root_ns = NamespaceOf(root);
  if (LocalName(root.name()) != "BootstrappingInfo") {
    return absl::InvalidArgumentError(
        "BootstrappingInfo XML: the root element is not BootstrappingInfo (TS 24.109 Annex C)");
  }
  if (!root_ns.has_value() || *root_ns != kGbaNamespace) {
    return absl::InvalidArgumentError(
        absl::StrCat("BootstrappingInfo XML: the root element is not in namespace ", kGbaNamespace,
                     " (TS 24.109 Annex C)"));
  }

  std::optional<std::string> btid;
  std::optional<std::string> lifetime;
  for (pugi::xml_node child : root.children()) {
    if (child.type() != pugi::node_element) continue;
    // The schema is elementFormDefault="qualified", so btid and lifetime belong to
    // uri:3gpp-gba; unqualified ones (no namespace at all) are accepted too, as some
    // servers write them so. Same names in other namespaces are extensions, ignored like
    // any unknown element (TS 24.109 Annex C).
    const std::optional<std::string> ns = NamespaceOf(child);
    if (!ns.has_value() || !(ns->empty() || *ns == kGbaNamespace)) continue;
    const std::string_view name = LocalName(child.name());
    std::optional<std::string>* target = name == "btid"       ? &btid
                                         : name == "lifetime" ? &lifetime
                                                              : nullptr;
    if (target == nullptr) continue;
    if (target->has_value()) {
      return absl::InvalidArgumentError(
          absl::StrCat("BootstrappingInfo XML: more than one <", Sv(name), "> element"));
    }
    *target = std::string(Trim(child.text().get()));
  }

  if (!btid.has_value() || btid->empty()) {
    return absl::InvalidArgumentError("BootstrappingInfo XML: missing or empty <btid>");
  }
  if (btid->size() > kMaxBtidSize) {
    return absl::InvalidArgumentError("BootstrappingInfo XML: <btid> is too long");
  }
  for (const char ch : *btid) {
    // B-TID is an NAI (TS 33.220 §4.5.2): printable ASCII, no spaces. As unsigned char:
    // with a signed char, bytes from 0x80 would pass or fail depending on the platform.
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7F) {
      return absl::InvalidArgumentError(
          "BootstrappingInfo XML: <btid> holds whitespace, control or non-ASCII characters");
    }
  }
  if (!lifetime.has_value() || lifetime->empty()) {
    return absl::InvalidArgumentError("BootstrappingInfo XML: missing or empty <lifetime>");
  }
  absl::StatusOr<absl::Time> expiry = ParseXsDateTime(*lifetime);
  if (!expiry.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("BootstrappingInfo XML: ", expiry.status().message()));
  }
  return BootstrappingInfo{*std::move(btid), *expiry};
}

std::string FormatBootstrappingInfo(const BootstrappingInfo& info) {
  // Built with pugixml so that the B-TID is escaped; the default namespace form of the
  // TS 24.109 Annex C example.
  pugi::xml_document doc;
  pugi::xml_node declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version") = "1.0";
  declaration.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("BootstrappingInfo");
  root.append_attribute("xmlns") = kGbaNamespace;
  root.append_child("btid").text().set(info.btid.c_str());
  root.append_child("lifetime").text().set(FormatUtcDateTime(info.lifetime).c_str());
  StringWriter writer;
  doc.save(writer, "  ", pugi::format_default, pugi::encoding_utf8);
  return std::move(writer.out);
}

}  // namespace gbabridge

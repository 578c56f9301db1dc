#include "bootstrap/protocol/bootstrapping_info.h"

#include <string>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace gbabridge {
namespace {

constexpr char kBtid[] = "gIGCg4SFhoeIiYqLjI2Ojw==@bsf.mnc001.mcc001.pub.3gppnetwork.org";

absl::Time Utc(int y, int mo, int d, int h, int mi, int s) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s), absl::UTCTimeZone());
}

std::string Body(std::string_view inner,
                 std::string_view root_open = "<BootstrappingInfo xmlns=\"uri:3gpp-gba\">",
                 std::string_view root_close = "</BootstrappingInfo>") {
  return std::string(root_open) + std::string(inner) + std::string(root_close);
}

std::string StandardInner(std::string_view lifetime = "2026-11-27T20:00:00Z") {
  return "<btid>" + std::string(kBtid) + "</btid><lifetime>" + std::string(lifetime) +
         "</lifetime>";
}

void ExpectError(std::string_view xml, std::string_view message_part) {
  absl::StatusOr<BootstrappingInfo> info = ParseBootstrappingInfo(xml);
  ASSERT_FALSE(info.ok()) << xml;
  EXPECT_EQ(info.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(info.status().message()).find(message_part), std::string::npos)
      << info.status().message();
}

TEST(BootstrappingInfoTest, ParsesTheGbaFactsBody) {
  // gba-facts §3 / TS 24.109 Annex C.
  absl::StatusOr<BootstrappingInfo> info = ParseBootstrappingInfo(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + Body(StandardInner()));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->btid, kBtid);
  EXPECT_EQ(info->lifetime, Utc(2026, 11, 27, 20, 0, 0));
}

TEST(BootstrappingInfoTest, PrettyPrintedBodyIsTrimmed) {
  absl::StatusOr<BootstrappingInfo> info = ParseBootstrappingInfo(
      "<BootstrappingInfo xmlns=\"uri:3gpp-gba\">\n  <btid>\n    " + std::string(kBtid) +
      "\n  </btid>\n  <lifetime> 2026-11-27T20:00:00Z </lifetime>\n</BootstrappingInfo>\n");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->btid, kBtid);
}

TEST(BootstrappingInfoTest, ReorderedElements) {
  absl::StatusOr<BootstrappingInfo> info = ParseBootstrappingInfo(
      Body("<lifetime>2026-11-27T20:00:00Z</lifetime><btid>" + std::string(kBtid) + "</btid>"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->btid, kBtid);
}

TEST(BootstrappingInfoTest, UnknownElementsAndAttributesAreIgnored) {
  absl::StatusOr<BootstrappingInfo> info = ParseBootstrappingInfo(
      Body("<!-- a comment --><Extension><currenttime>2026-11-27T19:00:00Z</currenttime>"
           "<btid>not-this-one</btid></Extension>"
           "<x:btid xmlns:x=\"urn:example:other\">nor-this-one</x:btid>"
           "<btid unknown=\"1\">" +
               std::string(kBtid) + "</btid><something/><lifetime>2026-11-27T20:00:00Z</lifetime>",
           "<BootstrappingInfo xmlns=\"uri:3gpp-gba\" foo=\"bar\">"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->btid, kBtid);
}

TEST(BootstrappingInfoTest, PrefixedNamespace) {
  absl::StatusOr<BootstrappingInfo> info = ParseBootstrappingInfo(
      "<g:BootstrappingInfo xmlns:g=\"uri:3gpp-gba\"><g:btid>" + std::string(kBtid) +
      "</g:btid><g:lifetime>2026-11-27T20:00:00Z</g:lifetime></g:BootstrappingInfo>");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->btid, kBtid);
  EXPECT_EQ(info->lifetime, Utc(2026, 11, 27, 20, 0, 0));
}

TEST(BootstrappingInfoTest, PrefixedRootWithUnqualifiedChildren) {
  // Not what the schema says (elementFormDefault="qualified"), but unambiguous: accepted.
  absl::StatusOr<BootstrappingInfo> info = ParseBootstrappingInfo(Body(
      StandardInner(), "<g:BootstrappingInfo xmlns:g=\"uri:3gpp-gba\">", "</g:BootstrappingInfo>"));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->btid, kBtid);
}

TEST(BootstrappingInfoTest, WrongOrMissingNamespace) {
  ExpectError(Body(StandardInner(), "<BootstrappingInfo xmlns=\"uri:3gpp-gbx\">"),
              "namespace uri:3gpp-gba");
  ExpectError(Body(StandardInner(), "<BootstrappingInfo>"), "namespace uri:3gpp-gba");
  ExpectError(Body(StandardInner(), "<g:BootstrappingInfo>", "</g:BootstrappingInfo>"),
              "namespace uri:3gpp-gba");  // undeclared prefix
  ExpectError(Body(StandardInner(), "<g:BootstrappingInfo xmlns=\"uri:3gpp-gba\">",
                   "</g:BootstrappingInfo>"),
              "namespace uri:3gpp-gba");  // the default namespace is not the prefix's
  ExpectError(Body(StandardInner(), "<Bootstrapping xmlns=\"uri:3gpp-gba\">", "</Bootstrapping>"),
              "not BootstrappingInfo");
}

TEST(BootstrappingInfoTest, MissingOrBadBtid) {
  ExpectError(Body("<lifetime>2026-11-27T20:00:00Z</lifetime>"), "missing or empty <btid>");
  ExpectError(Body("<btid>  </btid><lifetime>2026-11-27T20:00:00Z</lifetime>"),
              "missing or empty <btid>");
  ExpectError(Body("<btid>a b@bsf</btid><lifetime>2026-11-27T20:00:00Z</lifetime>"), "whitespace");
  // Bytes from 0x80 (here UTF-8 "é") are refused on every platform, whatever char's sign.
  ExpectError(Body("<btid>caf\xc3\xa9@bsf</btid><lifetime>2026-11-27T20:00:00Z</lifetime>"),
              "non-ASCII");
  ExpectError(Body("<btid>x@y</btid><btid>z@y</btid><lifetime>2026-11-27T20:00:00Z</lifetime>"),
              "more than one <btid>");
  // A btid in another namespace is an extension, not the btid.
  ExpectError(Body("<x:btid xmlns:x=\"urn:other\">x@y</x:btid>"
                   "<lifetime>2026-11-27T20:00:00Z</lifetime>"),
              "missing or empty <btid>");
}

TEST(BootstrappingInfoTest, MissingOrBadLifetime) {
  ExpectError(Body("<btid>x@y</btid>"), "missing or empty <lifetime>");
  ExpectError(Body("<btid>x@y</btid><lifetime></lifetime>"), "missing or empty <lifetime>");
  ExpectError(Body(StandardInner("2026-11-27T20:00:00")), "no time zone");
  ExpectError(Body(StandardInner("tomorrow")), "not a valid xs:dateTime");
  ExpectError(Body(StandardInner("2026-02-30T20:00:00Z")), "day out of range");
}

TEST(BootstrappingInfoTest, LifetimeOffsetIsConvertedToUtc) {
  absl::StatusOr<BootstrappingInfo> info =
      ParseBootstrappingInfo(Body(StandardInner("2026-11-27T20:00:00+02:00")));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->lifetime, Utc(2026, 11, 27, 18, 0, 0));
  info = ParseBootstrappingInfo(Body(StandardInner("2026-11-27T20:00:00-05:30")));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->lifetime, Utc(2026, 11, 28, 1, 30, 0));
}

TEST(BootstrappingInfoTest, MalformedXmlAndEmpty) {
  ExpectError("", "empty");
  ExpectError("not xml at all", "malformed");
  ExpectError("<BootstrappingInfo xmlns=\"uri:3gpp-gba\"><btid>x@y</BootstrappingInfo>",
              "malformed");
  ExpectError(Body(StandardInner()) + Body(StandardInner()), "exactly one root element");
  ExpectError("<BootstrappingInfo xmlns=\"uri:3gpp-gba\"", "malformed");
  ExpectError(std::string(70 * 1024, ' '), "at most 65536");
}

TEST(BootstrappingInfoTest, FormatParseRoundTrip) {
  BootstrappingInfo info{"weird&<chars>@bsf.example.org", Utc(2026, 11, 27, 20, 0, 0)};
  const std::string xml = FormatBootstrappingInfo(info);
  EXPECT_NE(xml.find("<BootstrappingInfo xmlns=\"uri:3gpp-gba\">"), std::string::npos) << xml;
  EXPECT_NE(xml.find("<lifetime>2026-11-27T20:00:00Z</lifetime>"), std::string::npos) << xml;
  EXPECT_NE(xml.find("weird&amp;&lt;chars&gt;@bsf.example.org"), std::string::npos) << xml;
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>", 0), 0u) << xml;
  absl::StatusOr<BootstrappingInfo> parsed = ParseBootstrappingInfo(xml);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->btid, info.btid);
  EXPECT_EQ(parsed->lifetime, info.lifetime);
}

TEST(BootstrappingInfoDateTimeTest, FormatUtc) {
  EXPECT_EQ(FormatUtcDateTime(Utc(2026, 11, 27, 20, 0, 0)), "2026-11-27T20:00:00Z");
  EXPECT_EQ(FormatUtcDateTime(Utc(2026, 1, 2, 3, 4, 5) + absl::Milliseconds(250)),
            "2026-01-02T03:04:05.25Z");
}

TEST(BootstrappingInfoDateTimeTest, ParsesValidForms) {
  EXPECT_EQ(*ParseXsDateTime("2024-02-29T23:59:59Z"), Utc(2024, 2, 29, 23, 59, 59));
  EXPECT_EQ(*ParseXsDateTime("2026-11-27T20:00:00.123Z"),
            Utc(2026, 11, 27, 20, 0, 0) + absl::Milliseconds(123));
  EXPECT_EQ(*ParseXsDateTime("2026-11-27T20:00:00.1234567891234Z"),
            Utc(2026, 11, 27, 20, 0, 0) + absl::Nanoseconds(123456789));
  EXPECT_EQ(*ParseXsDateTime("2026-11-27T00:30:00+14:00"), Utc(2026, 11, 26, 10, 30, 0));
  EXPECT_EQ(*ParseXsDateTime("2026-11-27T00:30:00-00:00"), Utc(2026, 11, 27, 0, 30, 0));
  const absl::Time t = Utc(2031, 7, 4, 12, 34, 56) + absl::Microseconds(789);
  EXPECT_EQ(*ParseXsDateTime(FormatUtcDateTime(t)), t);
}

TEST(BootstrappingInfoDateTimeTest, RejectsInvalidForms) {
  for (std::string_view bad : {
           "",
           "2026-11-27",
           "2026-11-27T20:00Z",
           "2026-11-27 20:00:00Z",
           "2026-11-27t20:00:00Z",
           "2026-11-27T20:00:00z",
           "2026-11-27T20:00:00",
           "2026-11-27T20:00:00.Z",
           "2026-13-01T00:00:00Z",
           "2026-00-01T00:00:00Z",
           "2023-02-29T00:00:00Z",
           "2026-04-31T00:00:00Z",
           "2026-11-27T24:00:00Z",
           "2026-11-27T20:60:00Z",
           "2026-11-27T20:00:60Z",
           "2026-11-27T20:00:00+15:00",
           "2026-11-27T20:00:00+14:30",
           "2026-11-27T20:00:00+0200",
           "2026-11-27T20:00:00+02",
           "2026-11-27T20:00:00Zjunk",
           "0000-01-01T00:00:00Z",
           "-2026-11-27T20:00:00Z",
           "12026-11-27T20:00:00Z",
           "2026-1-27T20:00:00Z",
       }) {
    absl::StatusOr<absl::Time> t = ParseXsDateTime(bad);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_NE(
      std::string(ParseXsDateTime("2026-11-27T20:00:00").status().message()).find("no time zone"),
      std::string::npos);
}

}  // namespace
}  // namespace gbabridge

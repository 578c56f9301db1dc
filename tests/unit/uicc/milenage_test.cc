#include "uicc/base/milenage.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace gbabridge {
namespace {

struct MilenageVector {
  std::string name, k, rand, sqn, amf, op, opc, f1, f1star, f2, f3, f4, f5, f5star;
};

std::vector<MilenageVector> LoadVectors() {
  std::ifstream in(GBABRIDGE_SHARED_DIR "/testvectors/milenage-ts35208.json");
  EXPECT_TRUE(in.good()) << "cannot open the TS 35.208 test vectors";
  if (!in.good()) return {};
  const nlohmann::json doc = nlohmann::json::parse(in);
  std::vector<MilenageVector> out;
  for (const nlohmann::json& s : doc.at("sets")) {
    out.push_back(MilenageVector{
        .name = s.at("name"),
        .k = s.at("k"),
        .rand = s.at("rand"),
        .sqn = s.at("sqn"),
        .amf = s.at("amf"),
        .op = s.at("op"),
        .opc = s.at("opc"),
        .f1 = s.at("f1"),
        .f1star = s.at("f1star"),
        .f2 = s.at("f2"),
        .f3 = s.at("f3"),
        .f4 = s.at("f4"),
        .f5 = s.at("f5"),
        .f5star = s.at("f5star"),
    });
  }
  return out;
}

template <size_t N>
std::array<uint8_t, N> Array(const std::string& hex) {
  absl::StatusOr<Bytes> bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.ok());
  EXPECT_EQ(bytes->size(), N) << hex;
  std::array<uint8_t, N> out{};
  std::copy_n(bytes->begin(), std::min(N, bytes->size()), out.begin());
  return out;
}

SecretBytes Secret(const std::string& hex) {
  absl::StatusOr<SecretBytes> s = SecretBytes::FromHex(hex);
  EXPECT_TRUE(s.ok());
  return s.ok() ? *std::move(s) : SecretBytes();
}

TEST(MilenageTest, AllTs35208SetsLoad) {
  // Guards the loop below from passing vacuously on an empty or missing file.
  EXPECT_GE(LoadVectors().size(), 4u);
}

TEST(MilenageTest, Ts35208ConformanceSets) {
  for (const MilenageVector& v : LoadVectors()) {
    SCOPED_TRACE(v.name);
    const SecretBytes k = Secret(v.k);

    absl::StatusOr<SecretBytes> opc = Milenage::ComputeOpc(k, Secret(v.op));
    ASSERT_TRUE(opc.ok()) << opc.status();
    EXPECT_EQ(opc->RevealHex(), v.opc);

    absl::StatusOr<Milenage> m = Milenage::Create(k, *opc);
    ASSERT_TRUE(m.ok()) << m.status();
    const Rand rand = Array<kRandSize>(v.rand);
    const Sqn sqn = Array<kSqnSize>(v.sqn);
    const Amf amf = Array<kAmfSize>(v.amf);

    EXPECT_EQ(HexEncode(m->F1(rand, sqn, amf)), v.f1);
    EXPECT_EQ(HexEncode(m->F1Star(rand, sqn, amf)), v.f1star);
    const MilenageF2345 f = m->F2345(rand);
    EXPECT_EQ(f.res.RevealHex(), v.f2);
    EXPECT_EQ(f.ck.RevealHex(), v.f3);
    EXPECT_EQ(f.ik.RevealHex(), v.f4);
    EXPECT_EQ(HexEncode(f.ak), v.f5);
    EXPECT_EQ(HexEncode(m->F5Star(rand)), v.f5star);
  }
}

TEST(MilenageTest, F1F2345MatchesTs35208Sets) {
  // The HSS's one-call path shares TEMP between f1 and f2..f5; it must give the spec values.
  for (const MilenageVector& v : LoadVectors()) {
    SCOPED_TRACE(v.name);
    absl::StatusOr<Milenage> m = Milenage::Create(Secret(v.k), Secret(v.opc));
    ASSERT_TRUE(m.ok()) << m.status();
    const MilenageAuthOutputs out =
        m->F1F2345(Array<kRandSize>(v.rand), Array<kSqnSize>(v.sqn), Array<kAmfSize>(v.amf));
    EXPECT_EQ(HexEncode(out.mac_a), v.f1);
    EXPECT_EQ(out.keys.res.RevealHex(), v.f2);
    EXPECT_EQ(out.keys.ck.RevealHex(), v.f3);
    EXPECT_EQ(out.keys.ik.RevealHex(), v.f4);
    EXPECT_EQ(HexEncode(out.keys.ak), v.f5);
  }
}

TEST(MilenageTest, InstanceIsReusableAcrossCallsAndMoves) {
  // The one cipher context is reused for every block; results must not depend on what
  // was computed before, nor on the instance having been moved.
  const std::vector<MilenageVector> vectors = LoadVectors();
  ASSERT_FALSE(vectors.empty());
  const MilenageVector& v = vectors[0];
  absl::StatusOr<Milenage> m = Milenage::Create(Secret(v.k), Secret(v.opc));
  ASSERT_TRUE(m.ok()) << m.status();
  const Rand rand = Array<kRandSize>(v.rand);
  const Sqn sqn = Array<kSqnSize>(v.sqn);
  const Amf amf = Array<kAmfSize>(v.amf);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(m->F2345(rand).ck.RevealHex(), v.f3);
    EXPECT_EQ(HexEncode(m->F1(rand, sqn, amf)), v.f1);
  }
  Milenage moved = *std::move(m);
  EXPECT_EQ(HexEncode(moved.F5Star(rand)), v.f5star);
}

TEST(MilenageTest, CreateRejectsWrongKeySizes) {
  const SecretBytes good(16);
  for (size_t size : {0u, 15u, 17u, 32u}) {
    SCOPED_TRACE(size);
    const SecretBytes bad(size);
    absl::StatusOr<Milenage> m = Milenage::Create(bad, good);
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(m.status().message().find("K must be 16 bytes"), std::string_view::npos)
        << m.status();
    m = Milenage::Create(good, bad);
    EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(m.status().message().find("OPc"), std::string_view::npos) << m.status();
    EXPECT_EQ(Milenage::ComputeOpc(bad, good).status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(Milenage::ComputeOpc(good, bad).status().code(), absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace gbabridge

// The BSF's TMPI -> IMPI map: one TMPI per IMPI, kept until the key lifetime ends, bounded.
#include "bsf_sim/tmpi_registry.h"

#include "gtest/gtest.h"

namespace gbabridge::bsf {
namespace {

constexpr char kTmpi1[] = "ZbIi8NEAbfILjmA/V4oox3dtHiaAHNGx@tmpi.bsf.3gppnetwork.org";
constexpr char kTmpi2[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA@tmpi.bsf.3gppnetwork.org";

TEST(TmpiRegistryTest, ResolvesUntilTheLifetimeEnds) {
  TmpiRegistry registry;
  const absl::Time now = absl::Now();
  registry.Remember(kTmpi1, "alice@ims.example", now + absl::Hours(1));
  EXPECT_EQ(registry.Resolve(kTmpi1, now), "alice@ims.example");
  EXPECT_EQ(registry.Resolve(kTmpi1, now + absl::Hours(2)), std::nullopt);
  EXPECT_EQ(registry.Size(), 0u) << "an expired TMPI is dropped when seen";
}

TEST(TmpiRegistryTest, ANewTmpiReplacesTheImpisOldOne) {
  TmpiRegistry registry;
  const absl::Time later = absl::Now() + absl::Hours(1);
  registry.Remember(kTmpi1, "alice@ims.example", later);
  registry.Remember(kTmpi2, "alice@ims.example", later);
  EXPECT_EQ(registry.Resolve(kTmpi1), std::nullopt);
  EXPECT_EQ(registry.Resolve(kTmpi2), "alice@ims.example");
  registry.Clear();
  EXPECT_EQ(registry.Resolve(kTmpi2), std::nullopt);
}

TEST(TmpiRegistryTest, Bounded) {
  TmpiRegistry registry(/*max_entries=*/2);
  const absl::Time now = absl::Now();
  registry.Remember("a@tmpi.bsf.3gppnetwork.org", "a", now + absl::Hours(3));
  registry.Remember("b@tmpi.bsf.3gppnetwork.org", "b", now + absl::Hours(1));
  registry.Remember("c@tmpi.bsf.3gppnetwork.org", "c", now + absl::Hours(2));
  EXPECT_EQ(registry.Size(), 2u);
  EXPECT_EQ(registry.Resolve("b@tmpi.bsf.3gppnetwork.org"), std::nullopt) << "soonest to expire";
}

TEST(TmpiRegistryTest, TheTmpiForm) {
  EXPECT_TRUE(IsTmpi(kTmpi1));
  EXPECT_TRUE(IsTmpi("x@TMPI.bsf.3gppnetwork.org"));
  EXPECT_FALSE(IsTmpi("001010123456789@ims.mnc001.mcc001.3gppnetwork.org"));
  EXPECT_FALSE(IsTmpi("@tmpi.bsf.3gppnetwork.org"));
}

}  // namespace
}  // namespace gbabridge::bsf

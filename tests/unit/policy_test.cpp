#include "policy.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <vector>

#include "cidr_set.hpp"

namespace superd {
namespace {

using namespace std::chrono_literals;

// A client address, as accept(2) gives it.
struct Client {
  sockaddr_storage storage{};
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
};

Client V4(const char* ip) {
  Client c;
  auto* sin = reinterpret_cast<sockaddr_in*>(&c.storage);
  sin->sin_family = AF_INET;
  inet_pton(AF_INET, ip, &sin->sin_addr);
  return c;
}

Client V6(const char* ip) {
  Client c;
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&c.storage);
  sin6->sin6_family = AF_INET6;
  inet_pton(AF_INET6, ip, &sin6->sin6_addr);
  return c;
}

Client UnixPeer() {
  Client c;
  c.storage.ss_family = AF_UNIX;
  return c;
}

std::shared_ptr<const CidrSet> Cidrs(std::vector<const char*> texts) {
  std::vector<Cidr> rules;
  for (const char* t : texts) rules.push_back(std::get<Cidr>(ParseCidr(t)));
  return std::make_shared<const CidrSet>(std::move(rules));
}

class AdmissionTest : public ::testing::Test {
 protected:
  // Configures the admission with a copy of `p` (it must outlive its use).
  Admission& With(const Policy& p) {
    policy_ = p;
    admission_.Configure(policy_);
    return admission_;
  }
  Policy policy_;
  ManualClock clock_;
  Admission admission_{clock_};
};

TEST_F(AdmissionTest, NoPolicyAdmitsEveryoneAndKeepsNoState) {
  Admission& a = With({});
  for (const char* ip : {"127.0.0.1", "10.0.0.1"}) EXPECT_TRUE(a.Admit(V4(ip).get()).admitted());
  const Verdict v = a.Admit(V6("2001:db8::1").get());
  EXPECT_TRUE(v.admitted());
  EXPECT_FALSE(v.counted);
  EXPECT_EQ(a.sources(), 0u);
  EXPECT_FALSE(a.PausedUntil());
}

TEST_F(AdmissionTest, AllowAdmitsOnlyItsAddresses) {
  Policy p;
  p.allow = Cidrs({"127.0.0.0/8", "2001:db8::/32"});
  Admission& a = With(p);
  EXPECT_TRUE(a.Admit(V4("127.0.0.9").get()).admitted());
  EXPECT_TRUE(a.Admit(V6("2001:db8:1::5").get()).admitted());
  const Verdict v = a.Admit(V4("10.0.0.1").get());
  EXPECT_EQ(v.refusal, Refusal::kAcl);
  EXPECT_TRUE(v.rule.empty()) << "no rule refused it: it is not in allow";
  EXPECT_EQ(a.Admit(V6("2001:db9::1").get()).refusal, Refusal::kAcl);
}

TEST_F(AdmissionTest, DenyWinsOverAllowAndNamesItsRule) {
  Policy p;
  p.allow = Cidrs({"10.0.0.0/8"});
  p.deny = Cidrs({"10.1.0.0/16", "10.1.2.3"});
  Admission& a = With(p);
  EXPECT_TRUE(a.Admit(V4("10.2.0.1").get()).admitted());
  Verdict v = a.Admit(V4("10.1.9.9").get());
  EXPECT_EQ(v.refusal, Refusal::kAcl);
  EXPECT_EQ(v.rule, "10.1.0.0/16");
  v = a.Admit(V4("10.1.2.3").get());
  EXPECT_EQ(v.rule, "10.1.2.3") << "the most specific rule is named";
}

TEST_F(AdmissionTest, MappedClientsMatchIpv4RulesAndNotIpv6Ones) {
  Policy p;
  p.deny = Cidrs({"127.0.0.2/32", "::/0"});
  Admission& a = With(p);
  EXPECT_EQ(a.Admit(V6("::ffff:127.0.0.2").get()).rule, "127.0.0.2/32");
  EXPECT_TRUE(a.Admit(V6("::ffff:127.0.0.1").get()).admitted())
      << "::/0 denies IPv6 clients only";
  EXPECT_EQ(a.Admit(V6("::1").get()).rule, "::/0");
}

TEST_F(AdmissionTest, UnixPeersAndUnknownClientsAreNotSubjectToAccessLists) {
  Policy p;
  p.allow = Cidrs({"10.0.0.0/8"});
  Admission& a = With(p);
  EXPECT_TRUE(a.Admit(UnixPeer().get(), 1000).admitted());
  EXPECT_TRUE(a.Admit(nullptr).admitted());
}

TEST_F(AdmissionTest, MaxPerSourceCountsUntilTheInstanceEnds) {
  Policy p;
  p.max_per_source = 2;
  Admission& a = With(p);
  const Verdict first = a.Admit(V4("127.0.0.1").get());
  const Verdict second = a.Admit(V4("127.0.0.1").get());
  ASSERT_TRUE(first.counted && second.counted);
  const Verdict third = a.Admit(V4("127.0.0.1").get());
  EXPECT_EQ(third.refusal, Refusal::kPerSource);
  EXPECT_FALSE(third.counted);
  EXPECT_TRUE(a.Admit(V4("127.0.0.2").get()).admitted()) << "another source";
  a.Ended(first.source);
  EXPECT_TRUE(a.Admit(V4("127.0.0.1").get()).admitted()) << "the slot came back";
}

TEST_F(AdmissionTest, SourcesAreGroupedBySourcePrefix) {
  Policy p;
  p.max_per_source = 1;
  p.source_prefix = {24, 64};
  Admission& a = With(p);
  const Verdict v4 = a.Admit(V4("10.1.2.3").get());
  EXPECT_EQ(v4.source.ToString(), "10.1.2.0/24");
  EXPECT_EQ(a.Admit(V4("10.1.2.200").get()).refusal, Refusal::kPerSource);
  EXPECT_TRUE(a.Admit(V4("10.1.3.1").get()).admitted());
  const Verdict v6 = a.Admit(V6("2001:db8:0:1::1").get());
  EXPECT_EQ(v6.source.ToString(), "2001:db8:0:1::/64");
  EXPECT_EQ(a.Admit(V6("2001:db8:0:1:ffff::9").get()).refusal, Refusal::kPerSource)
      << "one IPv6 host owns a /64";
  EXPECT_TRUE(a.Admit(V6("2001:db8:0:2::1").get()).admitted());
  const Verdict mapped = a.Admit(V6("::ffff:10.9.9.9").get());
  EXPECT_EQ(mapped.source.ToString(), "10.9.9.0/24");
  EXPECT_EQ(a.Admit(V4("10.9.9.1").get()).refusal, Refusal::kPerSource)
      << "a mapped client is the same source as its IPv4 form";
}

TEST_F(AdmissionTest, UnixPeersAreCountedByUid) {
  Policy p;
  p.max_per_source = 1;
  Admission& a = With(p);
  const Verdict v = a.Admit(UnixPeer().get(), 1000);
  EXPECT_EQ(v.source.ToString(), "uid 1000");
  EXPECT_EQ(a.Admit(UnixPeer().get(), 1000).refusal, Refusal::kPerSource);
  EXPECT_TRUE(a.Admit(UnixPeer().get(), 0).admitted());
}

TEST_F(AdmissionTest, RatePerSourceRefusesOnlyThatSourceAndRefills) {
  Policy p;
  p.rate_limit_per_source = {3, 1000ms};
  Admission& a = With(p);
  for (int i = 0; i < 3; ++i) {
    const Verdict v = a.Admit(V4("127.0.0.1").get());
    ASSERT_TRUE(v.admitted()) << i;
    a.Ended(v.source);
  }
  EXPECT_EQ(a.Admit(V4("127.0.0.1").get()).refusal, Refusal::kRatePerSource);
  EXPECT_TRUE(a.Admit(V4("127.0.0.2").get()).admitted()) << "others are untouched";
  clock_.Advance(333ms);
  EXPECT_EQ(a.Admit(V4("127.0.0.1").get()).refusal, Refusal::kRatePerSource)
      << "a token takes a third of a second";
  clock_.Advance(1ms);
  EXPECT_TRUE(a.Admit(V4("127.0.0.1").get()).admitted());
}

TEST_F(AdmissionTest, ARefusalByMaxPerSourceTakesNoToken) {
  Policy p;
  p.max_per_source = 1;
  p.rate_limit_per_source = {2, 1000ms};
  Admission& a = With(p);
  const Verdict held = a.Admit(V4("127.0.0.1").get());
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(a.Admit(V4("127.0.0.1").get()).refusal, Refusal::kPerSource);
  a.Ended(held.source);
  EXPECT_TRUE(a.Admit(V4("127.0.0.1").get()).admitted()) << "the second token is left";
}

TEST_F(AdmissionTest, RateLimitPausesForAtLeastThePauseThenResumes) {
  Policy p;
  p.rate_limit = {5, 1000ms};
  p.rate_limit_pause = 10s;
  Admission& a = With(p);
  for (int i = 0; i < 5; ++i) {
    ASSERT_FALSE(a.PausedUntil()) << i;
    a.Admit(V4("127.0.0.1").get());
  }
  bool new_pause = false;
  const auto until = a.PausedUntil(&new_pause);
  ASSERT_TRUE(until);
  EXPECT_TRUE(new_pause);
  EXPECT_EQ(*until, clock_.Now() + 10s);
  EXPECT_EQ(a.pauses(), 1u);
  clock_.Advance(5s);
  EXPECT_EQ(a.PausedUntil(&new_pause), until) << "tokens are back, the pause is not over";
  EXPECT_FALSE(new_pause) << "one episode, one pause";
  clock_.Advance(5s);
  EXPECT_FALSE(a.PausedUntil()) << "resumes by itself";
  EXPECT_EQ(a.pauses(), 1u);
}

TEST_F(AdmissionTest, AnEmptyBucketIsNoPauseUntilAClientWaits) {
  Policy p;
  p.rate_limit = {2, 1000ms};
  Admission& a = With(p);
  EXPECT_TRUE(a.HasToken());
  a.Admit(nullptr);
  a.Admit(nullptr);
  EXPECT_FALSE(a.HasToken());
  EXPECT_EQ(a.pauses(), 0u) << "asking whether a token is left begins no pause";
  clock_.Advance(500ms);
  EXPECT_TRUE(a.HasToken());
  EXPECT_FALSE(a.PausedUntil());
  a.Admit(nullptr);
  ASSERT_TRUE(a.PausedUntil());
  EXPECT_FALSE(a.HasToken()) << "nor during a pause, whatever the bucket holds";
  clock_.Advance(2s);
  EXPECT_FALSE(a.HasToken()) << "the pause (10s) is not over";
}

TEST_F(AdmissionTest, ZeroPauseResumesWithTheNextToken) {
  Policy p;
  p.rate_limit = {2, 1000ms};
  p.rate_limit_pause = 0ms;
  Admission& a = With(p);
  a.Admit(nullptr);
  a.Admit(nullptr);
  const auto until = a.PausedUntil();
  ASSERT_TRUE(until);
  EXPECT_EQ(*until, clock_.Now() + 500ms);
  clock_.Advance(500ms);
  EXPECT_FALSE(a.PausedUntil());
}

TEST_F(AdmissionTest, PausesInARowAreOneEpisode) {
  Policy p;
  p.rate_limit = {2, 1000ms};
  p.rate_limit_pause = 0ms;
  Admission& a = With(p);
  bool new_pause = false;
  for (int i = 0; i < 10; ++i) {  // a flood: every token taken at once
    while (!a.PausedUntil(&new_pause)) a.Admit(nullptr);
    EXPECT_EQ(new_pause, i == 0) << i;
    clock_.Advance(500ms);
  }
  EXPECT_EQ(a.pauses(), 1u);
  clock_.Advance(1000ms);  // a whole period unpaused
  while (!a.PausedUntil(&new_pause)) a.Admit(nullptr);
  EXPECT_TRUE(new_pause) << "a new episode";
  EXPECT_EQ(a.pauses(), 2u);
}

TEST_F(AdmissionTest, ARefusedClientTakesNoServiceToken) {
  Policy p;
  p.rate_limit = {1, 1000ms};
  p.deny = Cidrs({"10.0.0.0/8"});
  Admission& a = With(p);
  for (int i = 0; i < 10; ++i) a.Admit(V4("10.0.0.1").get());
  EXPECT_FALSE(a.PausedUntil()) << "refusals spent the service's token";
}

TEST_F(AdmissionTest, IdleSourcesAreForgottenOnceTheirBucketIsFull) {
  Policy p;
  p.max_per_source = 4;
  p.rate_limit_per_source = {2, 1000ms};
  Admission& a = With(p);
  std::vector<Verdict> held;
  for (int i = 0; i < 100; ++i) {
    const std::string ip = "10.0.1." + std::to_string(i);
    held.push_back(a.Admit(V4(ip.c_str()).get()));
  }
  EXPECT_EQ(a.sources(), 100u);
  for (const Verdict& v : held) a.Ended(v.source);
  EXPECT_EQ(a.sources(), 100u) << "their buckets are not full yet";
  ASSERT_TRUE(a.NextExpiry());
  EXPECT_EQ(*a.NextExpiry(), clock_.Now() + 500ms) << "when to sweep";
  clock_.Advance(499ms);
  a.Sweep();
  EXPECT_EQ(a.sources(), 100u);
  clock_.Advance(1ms);
  a.Sweep();
  EXPECT_EQ(a.sources(), 0u);
}

TEST_F(AdmissionTest, WithoutPerSourceRateASourceGoesWithItsLastInstance) {
  Policy p;
  p.max_per_source = 2;
  Admission& a = With(p);
  const Verdict x = a.Admit(V4("10.0.0.1").get());
  const Verdict y = a.Admit(V4("10.0.0.1").get());
  EXPECT_EQ(a.sources(), 1u);
  a.Ended(x.source);
  EXPECT_EQ(a.sources(), 1u);
  a.Ended(y.source);
  EXPECT_EQ(a.sources(), 0u);
}

TEST_F(AdmissionTest, AReloadKeepsRunningInstancesCounted) {
  Policy p;
  p.max_per_source = 1;
  Admission& a = With(p);
  const Verdict held = a.Admit(V4("127.0.0.1").get());
  p.rate_limit_per_source = {10, 1000ms};  // changes the buckets
  a.Configure(p);
  EXPECT_EQ(a.Admit(V4("127.0.0.1").get()).refusal, Refusal::kPerSource);
  a.Ended(held.source);
  EXPECT_TRUE(a.Admit(V4("127.0.0.1").get()).admitted());
}

TEST_F(AdmissionTest, AReloadThatChangesTheRateStartsAFullBucket) {
  Policy p;
  p.rate_limit = {1, 60000ms};
  Admission& a = With(p);
  a.Admit(nullptr);
  ASSERT_TRUE(a.PausedUntil());
  p.rate_limit = {2, 60000ms};
  a.Configure(p);
  EXPECT_FALSE(a.PausedUntil());
  p.rate_limit = {};
  a.Configure(p);
  for (int i = 0; i < 100; ++i) a.Admit(nullptr);
  EXPECT_FALSE(a.PausedUntil()) << "rate_limit off";
}

TEST_F(AdmissionTest, DescribesEachRefusalForTheLog) {
  Policy p;
  p.allow = Cidrs({"10.0.0.0/8"});
  p.deny = Cidrs({"10.9.0.0/16"});
  p.max_per_source = 1;
  p.rate_limit_per_source = {1, 60000ms};
  p.source_prefix = {24, 64};
  Admission& a = With(p);
  EXPECT_EQ(Describe(a.Admit(V4("192.0.2.1").get()), p), "not in allow");
  EXPECT_EQ(Describe(a.Admit(V4("10.9.0.1").get()), p), "deny 10.9.0.0/16");
  const Verdict held = a.Admit(V4("10.1.1.1").get());
  EXPECT_EQ(Describe(a.Admit(V4("10.1.1.2").get()), p),
            "max_per_source (1) reached for 10.1.1.0/24");
  a.Ended(held.source);
  EXPECT_EQ(Describe(a.Admit(V4("10.1.1.2").get()), p),
            "rate_limit_per_source (1 per 60.000s) exceeded by 10.1.1.0/24");
}

TEST(Source, PrintsAddressPrefixOrUid) {
  EXPECT_EQ(Source::Of(V4("192.0.2.7").get(), 0, {}).ToString(), "192.0.2.7");
  EXPECT_EQ(Source::Of(V6("2001:db8::7").get(), 0, {32, 128}).ToString(), "2001:db8::7");
  EXPECT_EQ(Source::Of(V6("2001:db8:1:2:3::7").get(), 0, {}).ToString(), "2001:db8:1:2::/64");
  EXPECT_EQ(Source::Of(V4("192.0.2.7").get(), 0, {0, 0}).ToString(), "0.0.0.0/0");
  EXPECT_EQ(Source::Of(nullptr, 0, {}).kind, Source::kNone);
}

}  // namespace
}  // namespace superd

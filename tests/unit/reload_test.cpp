#include "reload.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>

#include "table_loader.hpp"

using namespace superd;

namespace {

ServiceTable Table(const std::string& yaml) {
  LoadResult r = ParseTable(yaml, "t.yaml");
  EXPECT_TRUE(r.table) << r.diagnostics.FormatAll();
  return r.table ? *r.table : ServiceTable{};
}

SocketKey Key(const std::string& listen, Protocol protocol = Protocol::kTcp) {
  ServiceTable t = Table("services:\n  s:\n    listen: \"" + listen +
                         "\"\n    program: /bin/cat\n" +
                         (protocol == Protocol::kUdp ? "    protocol: udp\n" : ""));
  const Endpoint& e = t.services.at(0).listen.at(0);
  return {e.address, protocol, e.dual_stack};
}

}  // namespace

TEST(PlanReload, KeepsSocketsWhoseAddressAndProtocolStay) {
  const std::vector<SocketKey> old = {Key("127.0.0.1:7"), Key("127.0.0.1:13")};
  ReloadPlan plan = PlanReload(old, Table(R"(services:
  daytime: {listen: "127.0.0.1:13", program: /bin/cat}
  echo: {listen: "127.0.0.1:7", program: /bin/true}
)"));
  ASSERT_EQ(plan.keep.size(), 2u);
  EXPECT_EQ(plan.keep[0], std::vector<std::optional<size_t>>{1});
  EXPECT_EQ(plan.keep[1], std::vector<std::optional<size_t>>{0});
  EXPECT_TRUE(plan.close.empty());
}

TEST(PlanReload, OpensNewAddressesAndClosesRemovedOnes) {
  const std::vector<SocketKey> old = {Key("127.0.0.1:7"), Key("127.0.0.1:9")};
  ReloadPlan plan = PlanReload(old, Table(R"(services:
  echo: {listen: ["127.0.0.1:7", "127.0.0.1:8"], program: /bin/cat}
)"));
  ASSERT_EQ(plan.keep.size(), 1u);
  EXPECT_EQ(plan.keep[0], (std::vector<std::optional<size_t>>{0, std::nullopt}));
  EXPECT_EQ(plan.close, std::vector<size_t>{1});
}

TEST(PlanReload, AProtocolChangeIsANewSocket) {
  const std::vector<SocketKey> old = {Key("127.0.0.1:7", Protocol::kTcp)};
  ReloadPlan plan = PlanReload(old, Table(R"(services:
  echo: {listen: "127.0.0.1:7", protocol: udp, program: /bin/cat}
)"));
  EXPECT_EQ(plan.keep[0], std::vector<std::optional<size_t>>{std::nullopt});
  EXPECT_EQ(plan.close, std::vector<size_t>{0});
}

// `*:7` and `[::]:7` print alike, but only the first takes IPv4 clients.
TEST(PlanReload, DualStackAndIpv6OnlyAreDifferentSockets) {
  const std::vector<SocketKey> old = {Key("*:7"), Key("[::]:9")};
  ReloadPlan plan = PlanReload(old, Table(R"(services:
  a: {listen: "[::]:7", program: /bin/cat}
  b: {listen: "*:9", program: /bin/cat}
)"));
  ASSERT_EQ(plan.keep.size(), 2u);
  EXPECT_EQ(plan.keep[0], (std::vector<std::optional<size_t>>{std::nullopt}));
  EXPECT_EQ(plan.keep[1], (std::vector<std::optional<size_t>>{std::nullopt}));
  EXPECT_EQ(plan.close.size(), 2u);
}

TEST(PlanReload, ASocketMovesToARenamedService) {
  const std::vector<SocketKey> old = {Key("127.0.0.1:7")};
  ReloadPlan plan = PlanReload(old, Table(R"(services:
  renamed: {listen: "127.0.0.1:7", program: /bin/cat}
)"));
  EXPECT_EQ(plan.keep[0], std::vector<std::optional<size_t>>{0});
  EXPECT_TRUE(plan.close.empty());
}

TEST(PlanReload, ADisabledServiceGivesUpItsSockets) {
  const std::vector<SocketKey> old = {Key("127.0.0.1:7"), Key("unix:/run/x.sock")};
  ReloadPlan plan = PlanReload(old, Table(R"(services:
  echo: {listen: "127.0.0.1:7", program: /bin/cat, disabled: true}
  local: {listen: "unix:/run/x.sock", program: /bin/cat}
)"));
  EXPECT_TRUE(plan.keep[0].empty());
  EXPECT_EQ(plan.keep[1], std::vector<std::optional<size_t>>{1});
  EXPECT_EQ(plan.close, std::vector<size_t>{0});
}

TEST(PlanReload, WildcardAndSpecificAddressesAreDifferentSockets) {
  const std::vector<SocketKey> old = {Key("*:7")};
  ReloadPlan plan = PlanReload(old, Table(R"(services:
  echo: {listen: "127.0.0.1:7", program: /bin/cat}
)"));
  EXPECT_EQ(plan.keep[0], std::vector<std::optional<size_t>>{std::nullopt});
  EXPECT_EQ(plan.close, std::vector<size_t>{0});
}

TEST(PlanReload, SharingThePortOrNotIsADifferentSocket) {
  SocketKey shared = Key("127.0.0.1:7");
  shared.reuse_port = true;
  const std::vector<SocketKey> old = {Key("127.0.0.1:7"), shared};
  ReloadPlan plan = PlanReload({shared}, Table(R"(services:
  echo: {listen: "127.0.0.1:7", program: /bin/cat, reuse_port: true}
)"));
  EXPECT_EQ(plan.keep[0], std::vector<std::optional<size_t>>{0});
  EXPECT_TRUE(plan.close.empty());
  plan = PlanReload({Key("127.0.0.1:7")}, Table(R"(services:
  echo: {listen: "127.0.0.1:7", program: /bin/cat, reuse_port: true}
)"));
  EXPECT_EQ(plan.keep[0], std::vector<std::optional<size_t>>{std::nullopt});
  EXPECT_EQ(plan.close, std::vector<size_t>{0});
}

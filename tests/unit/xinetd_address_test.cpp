#include "xinetd_address.hpp"

#include <gtest/gtest.h>

namespace superd::import {
namespace {

using Kind = XinetdAddress::Kind;
using Cidrs = std::vector<std::string>;

TEST(XinetdAddress, AddressesAndBlocksAreTheSameInSuperd) {
  EXPECT_EQ(ConvertXinetdAddress("192.0.2.7").cidrs, Cidrs{"192.0.2.7"});
  EXPECT_EQ(ConvertXinetdAddress("192.0.2.7").kind, Kind::kExact);
  EXPECT_EQ(ConvertXinetdAddress("10.0.0.0/8").cidrs, Cidrs{"10.0.0.0/8"});
  EXPECT_EQ(ConvertXinetdAddress("2001:db8::1").cidrs, Cidrs{"2001:db8::1"});
  EXPECT_EQ(ConvertXinetdAddress("2001:DB8::/32").cidrs, Cidrs{"2001:db8::/32"});
  EXPECT_EQ(ConvertXinetdAddress("::1").kind, Kind::kExact);
  EXPECT_EQ(ConvertXinetdAddress("192.0.2.7/32").cidrs, Cidrs{"192.0.2.7"});
}

TEST(XinetdAddress, HostBitsOfAMaskedAddressAreCleared) {
  // xinetd masks the client and the rule alike: 10.1.2.3/8 is 10/8.
  const XinetdAddress a = ConvertXinetdAddress("10.1.2.3/8");
  EXPECT_EQ(a.kind, Kind::kExact);
  EXPECT_EQ(a.cidrs, Cidrs{"10.0.0.0/8"});
  EXPECT_EQ(ConvertXinetdAddress("2001:db8::1/32").cidrs, Cidrs{"2001:db8::/32"});
  EXPECT_EQ(ConvertXinetdAddress("0.0.0.0/0").cidrs, Cidrs{"0.0.0.0/0"});
}

TEST(XinetdAddress, TrailingZeroOctetsAreWildcards) {
  EXPECT_EQ(ConvertXinetdAddress("128.138.12.0").cidrs, Cidrs{"128.138.12.0/24"});
  EXPECT_EQ(ConvertXinetdAddress("128.138.12.0").kind, Kind::kTrailingZeros);
  EXPECT_EQ(ConvertXinetdAddress("10.0.0.0").cidrs, Cidrs{"10.0.0.0/8"});
  EXPECT_EQ(ConvertXinetdAddress("10.0.1.0").cidrs, Cidrs{"10.0.1.0/24"});
  EXPECT_EQ(ConvertXinetdAddress("0.0.0.0").cidrs, Cidrs{"0.0.0.0/0"});
  // Only at the end: 10.0.1.1 is one host.
  EXPECT_EQ(ConvertXinetdAddress("10.0.1.1").cidrs, Cidrs{"10.0.1.1"});
  // As inet_aton reads it, like xinetd's getaddrinfo: 10.1 is 10.0.0.1.
  EXPECT_EQ(ConvertXinetdAddress("10.1").cidrs, Cidrs{"10.0.0.1"});
}

TEST(XinetdAddress, FactorizedAddressesAreOneBlockPerNumber) {
  XinetdAddress a = ConvertXinetdAddress("128.138.{200,201}");
  EXPECT_EQ(a.kind, Kind::kFactorized);
  EXPECT_EQ(a.cidrs, (Cidrs{"128.138.200.0/24", "128.138.201.0/24"}));
  EXPECT_EQ(ConvertXinetdAddress("10.0.0.{1,2,3}").cidrs,
            (Cidrs{"10.0.0.1", "10.0.0.2", "10.0.0.3"}));
  EXPECT_EQ(ConvertXinetdAddress("10.{1}").cidrs, Cidrs{"10.1.0.0/16"});
  EXPECT_EQ(ConvertXinetdAddress("{10,11}").cidrs, (Cidrs{"10.0.0.0/8", "11.0.0.0/8"}));
}

TEST(XinetdAddress, NamesAndDomainsAreNotAddresses) {
  EXPECT_EQ(ConvertXinetdAddress("host.example.com").kind, Kind::kName);
  EXPECT_EQ(ConvertXinetdAddress("loopback").kind, Kind::kName);
  EXPECT_EQ(ConvertXinetdAddress(".example.com").kind, Kind::kDomain);
  EXPECT_TRUE(ConvertXinetdAddress(".example.com").cidrs.empty());
}

TEST(XinetdAddress, WhatXinetdCannotReadIsInvalidWithAReason) {
  for (const char* bad : {"10.0.0.0/33", "::/129", "10.0.0.0/x", "host/8", "10..{1}",
                          "10.0.{1,}", "10.0.{1,2}x", "10.0.{256}", "1.2.3.4.{5}", "10.0{1}"}) {
    const XinetdAddress a = ConvertXinetdAddress(bad);
    EXPECT_EQ(a.kind, Kind::kInvalid) << bad;
    EXPECT_FALSE(a.reason.empty()) << bad;
    EXPECT_TRUE(a.cidrs.empty()) << bad;
  }
}

TEST(XinetdAddress, StrictlyInside) {
  EXPECT_TRUE(CidrStrictlyInside("10.1.0.0/16", "10.0.0.0/8"));
  EXPECT_TRUE(CidrStrictlyInside("10.0.0.5", "10.0.0.0/8"));
  EXPECT_FALSE(CidrStrictlyInside("10.0.0.0/8", "10.0.0.0/8"));
  EXPECT_FALSE(CidrStrictlyInside("10.0.0.0/8", "10.1.0.0/16"));
  EXPECT_FALSE(CidrStrictlyInside("11.0.0.5", "10.0.0.0/8"));
  EXPECT_TRUE(CidrStrictlyInside("2001:db8::1", "2001:db8::/32"));
  EXPECT_FALSE(CidrStrictlyInside("2001:db8::1", "10.0.0.0/8"));
  EXPECT_FALSE(CidrStrictlyInside("host.example.com", "0.0.0.0/0"));
}

}  // namespace
}  // namespace superd::import

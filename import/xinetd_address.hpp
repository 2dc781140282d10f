// One entry of xinetd's `only_from` or `no_access`, read as xinetd's
// addr.c reads it, turned into the CIDR blocks of superd's `allow` and
// `deny` where that is possible. Pure: no look-ups (a name is a name,
// whether or not it resolves).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace superd::import {

struct XinetdAddress {
  enum class Kind {
    kExact,          // an address or a CIDR block, the same in superd
    kTrailingZeros,  // 10.1.0.0: xinetd reads zero octets at the end as
                     // wildcards, so it is 10.1.0.0/16
    kFactorized,     // 10.1.{2,3}: one block per number (10.1.2.0/24, ...)
    kDomain,         // .example.com: matched on the client's reverse name
    kName,           // a host or network name: likewise
    kInvalid,        // nothing xinetd can match (it skips it)
  };
  Kind kind = Kind::kInvalid;
  std::vector<std::string> cidrs;  // superd's form: "10.1.0.0/16", "192.0.2.7"
  std::string reason;              // kInvalid: why
};

XinetdAddress ConvertXinetdAddress(std::string_view entry);

// Whether CIDR block `inner` lies strictly inside `outer` (same family, a
// longer prefix): a client of `inner` matches both. Both in the form
// ConvertXinetdAddress gives.
bool CidrStrictlyInside(const std::string& inner, const std::string& outer);

}  // namespace superd::import

#include "xinetd_access.hpp"

#include <algorithm>

#include "xinetd_address.hpp"

namespace superd::import {
namespace {

std::string Join(const std::vector<std::string>& words, const std::string& by) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : by) + w;
  return out;
}

class Access {
 public:
  Access(const std::string& service, std::vector<ImportMessage>& messages)
      : service_(service), messages_(messages) {}

  XinetdAccess Import(const XinetdSetting* only_from, const XinetdSetting* no_access, bool tcp_wait) {
    XinetdAccess out;
    if (!only_from && !no_access) return out;
    if (tcp_wait) {
      const XinetdSetting* first = only_from ? only_from : no_access;
      Warn(first->position, first->attribute + Of(*first) +
                                ": the program of a tcp wait service accepts its connections "
                                "itself, so xinetd checks none of them, and superd refuses the "
                                "key there; not carried over");
      return out;
    }
    Convert(no_access, out.deny, "deny", "those clients are not denied");
    Convert(only_from, out.allow, "allow", "left out");
    if (!only_from) return out;
    if (only_from->values.empty() || out.allow.empty()) {
      out.nobody_at = only_from->position;
      out.nobody = only_from->values.empty()
                       ? "only_from" + Of(*only_from) + " is empty, which lets nobody in"
                       : "only_from" + Of(*only_from) + " keeps no address superd can match, "
                         "and an empty allow would let everyone in";
    }
    for (const XinetdValue& v : only_from->values)
      for (const std::string& d : out.deny)
        if (CidrStrictlyInside(v.text, d))
          Warn(v.position, "only_from " + v.text + " lies inside no_access " + d +
                               ": xinetd.conf(5) says the more specific entry wins, but xinetd "
                               "2.3.15 refuses a client both lists match, and so does superd");
    return out;
  }

 private:
  // For a list of `defaults`, whose line speaks for every service.
  std::string Of(const XinetdSetting& s) const {
    return s.from_defaults ? " (service '" + service_ + "')" : "";
  }

  void Warn(const XinetdPosition& at, std::string text) {
    messages_.push_back(MessageAt(at, std::move(text), true));
  }

  // The blocks of `list` into `to`, once each; `unmatched` says what
  // becomes of an entry superd cannot match.
  void Convert(const XinetdSetting* list, std::vector<std::string>& to, const std::string& key,
               const std::string& unmatched) {
    if (!list) return;
    for (const XinetdValue& v : list->values) {
      const XinetdAddress a = ConvertXinetdAddress(v.written);
      const std::string what = list->attribute + " " + v.written;
      switch (a.kind) {
        case XinetdAddress::Kind::kExact: break;
        case XinetdAddress::Kind::kTrailingZeros:
          Warn(v.position, what + ": xinetd reads the zero octets at its end as wildcards; "
                                  "imported as " + Join(a.cidrs, " "));
          break;
        case XinetdAddress::Kind::kFactorized:
          Warn(v.position, what + ": imported as " + Join(a.cidrs, ", "));
          break;
        case XinetdAddress::Kind::kDomain:
        case XinetdAddress::Kind::kName:
          Warn(v.position, what + ": superd's " + key + " matches client addresses, not " +
                               (a.kind == XinetdAddress::Kind::kDomain ? "domains" : "names") +
                               "; " + unmatched);
          continue;
        case XinetdAddress::Kind::kInvalid:
          Warn(v.position, what + ": xinetd cannot read it (" + a.reason +
                               ") and skips it; not carried over");
          continue;
      }
      if (std::find(to.begin(), to.end(), v.text) == to.end()) to.push_back(v.text);
    }
  }

  const std::string& service_;
  std::vector<ImportMessage>& messages_;
};

}  // namespace

XinetdAccess ImportXinetdAccess(const XinetdSetting* only_from, const XinetdSetting* no_access,
                                bool tcp_wait, const std::string& service,
                                std::vector<ImportMessage>& messages) {
  return Access(service, messages).Import(only_from, no_access, tcp_wait);
}

}  // namespace superd::import

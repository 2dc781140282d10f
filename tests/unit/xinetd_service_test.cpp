#include "xinetd_service.hpp"

#include <gtest/gtest.h>

#include "xinetd_fakes.hpp"

namespace superd::import {
namespace {

using testing_fakes::FakeFiles;
using Texts = std::vector<std::string>;

struct Resolved {
  std::vector<XinetdService> services;
  std::vector<std::string> messages;
  const XinetdService& operator[](const std::string& name) const {
    for (const XinetdService& s : services)
      if (s.name == name) return s;
    ADD_FAILURE() << "no service " << name;
    return services.at(0);
  }
};

Resolved Resolve(const std::string& text) {
  FakeFiles files;
  files.File("/etc/xinetd.conf", text);
  const XinetdConfig config = ReadXinetdConf("/etc/xinetd.conf", files);
  EXPECT_TRUE(config.ok());
  std::vector<ImportMessage> messages;
  Resolved r{ResolveXinetdServices(config, messages), {}};
  for (const ImportMessage& m : messages) r.messages.push_back(m.Format());
  return r;
}

Texts Values(const XinetdService& s, const std::string& attribute) {
  const XinetdSetting* setting = s.Find(attribute);
  return setting ? setting->Texts() : Texts{"(unset)"};
}

TEST(XinetdService, ListsChangeWithPlusAndMinusAndEqualsReplaces) {
  const Resolved r = Resolve(
      "service a\n{\n"
      " only_from = 10.0.0.1 10.0.0.2\n"
      " only_from += 10.0.0.3\n"
      " only_from -= 10.0.0.2\n"
      " passenv = PATH LANG\n"
      " passenv += PATH TZ\n"
      " passenv -= LANG\n"
      " env = A=1\n"
      " env += B=2\n"
      "}\n"
      "service b\n{\n"
      " only_from = 10.0.0.1\n"
      " only_from = 10.0.0.9\n"
      "}\n");
  EXPECT_TRUE(r.messages.empty()) << testing::PrintToString(r.messages);
  EXPECT_EQ(Values(r["a"], "only_from"), (Texts{"10.0.0.1", "10.0.0.3"}));
  EXPECT_EQ(Values(r["a"], "passenv"), (Texts{"PATH", "TZ"}));
  EXPECT_EQ(Values(r["a"], "env"), (Texts{"A=1", "B=2"}));
  EXPECT_EQ(Values(r["b"], "only_from"), Texts{"10.0.0.9"});
  EXPECT_EQ(r["a"].Find("only_from")->position.line, 5);
}

TEST(XinetdService, AddressesAreRemovedByWhatTheyMatchNotHowTheyAreWritten) {
  // 10.1.0.0 is 10.1.0.0/16 to xinetd; a factorized entry is several.
  const Resolved r = Resolve(
      "service a\n{\n"
      " no_access = 10.1.0.0 10.2.{1,2} host.example.com\n"
      " no_access -= 10.1.0.0/16 10.2.1.0/24 host.example.com\n"
      "}\n");
  EXPECT_EQ(Values(r["a"], "no_access"), Texts{"10.2.2.0/24"});
  EXPECT_EQ(r["a"].Find("no_access")->values[0].written, "10.2.{1,2}");
}

TEST(XinetdService, ListsOfDefaultsAreCopiedIntoTheServicesThatFollow) {
  const Resolved r = Resolve(
      "service before\n{\n}\n"
      "defaults\n{\n"
      " only_from = 10.0.0.0/8\n"
      " only_from = 192.0.2.0/24\n"    // in defaults, '=' adds
      " no_access = 10.9.0.0/16\n"
      "}\n"
      "service plus\n{\n only_from += 198.51.100.1\n}\n"
      "service equals\n{\n only_from = 198.51.100.2\n}\n"
      "service inherits\n{\n}\n");
  EXPECT_EQ(Values(r["before"], "only_from"), Texts{"(unset)"});
  EXPECT_EQ(Values(r["plus"], "only_from"),
            (Texts{"10.0.0.0/8", "192.0.2.0/24", "198.51.100.1"}));
  EXPECT_FALSE(r["plus"].Find("only_from")->from_defaults);
  EXPECT_EQ(Values(r["equals"], "only_from"), Texts{"198.51.100.2"});
  EXPECT_EQ(Values(r["inherits"], "only_from"), (Texts{"10.0.0.0/8", "192.0.2.0/24"}));
  EXPECT_TRUE(r["inherits"].Find("only_from")->from_defaults);
  EXPECT_EQ(r["inherits"].Find("only_from")->position.line, 7);
  EXPECT_EQ(Values(r["inherits"], "no_access"), Texts{"10.9.0.0/16"});
}

TEST(XinetdService, OtherDefaultsFillInEveryServiceWhateverTheOrder) {
  const Resolved r = Resolve(
      "service before\n{\n}\n"
      "defaults\n{\n instances = 20\n per_source = 5\n cps = 10 5\n umask = 027\n"
      " interface = 127.0.0.1\n groups = yes\n v6only = yes\n}\n"
      "service own\n{\n instances = 3\n bind = 192.0.2.1\n}\n");
  EXPECT_EQ(Values(r["before"], "instances"), Texts{"20"});
  EXPECT_EQ(Values(r["before"], "per_source"), Texts{"5"});
  EXPECT_EQ(Values(r["before"], "cps"), (Texts{"10", "5"}));
  EXPECT_EQ(Values(r["before"], "umask"), Texts{"027"});
  EXPECT_EQ(Values(r["before"], "bind"), Texts{"127.0.0.1"});  // interface is bind
  EXPECT_EQ(Values(r["before"], "groups"), Texts{"yes"});
  EXPECT_EQ(Values(r["own"], "instances"), Texts{"3"});
  EXPECT_EQ(Values(r["own"], "bind"), Texts{"192.0.2.1"});
}

TEST(XinetdService, DisabledAndEnabledOfDefaultsNameIds) {
  const Resolved r = Resolve(
      "defaults\n{\n disabled = b c-stream\n}\n"
      "service a\n{\n}\n"
      "service b\n{\n}\n"
      "service c\n{\n id = c-stream\n}\n");
  EXPECT_FALSE(r["a"].disabled_by_defaults);
  ASSERT_TRUE(r["b"].disabled_by_defaults);
  EXPECT_EQ(r["b"].disabled_by_defaults->line, 3);
  EXPECT_TRUE(r["c"].disabled_by_defaults);

  const Resolved e = Resolve(
      "defaults\n{\n enabled = a\n}\n"
      "service a\n{\n}\n"
      "service b\n{\n}\n");
  EXPECT_FALSE(e["a"].disabled_by_defaults);
  EXPECT_TRUE(e["b"].disabled_by_defaults);
  // An empty `enabled` enables nothing.
  const Resolved none = Resolve("defaults\n{\n enabled =\n}\nservice a\n{\n}\n");
  EXPECT_TRUE(none["a"].disabled_by_defaults);
}

TEST(XinetdService, WhatXinetdIgnoresIsAWarning) {
  const Resolved r = Resolve(
      "defaults\n{\n server = /bin/true\n colour = red\n}\n"  // 3, 4
      "defaults\n{\n instances = 1\n}\n"                       // 6: a second one
      "service a\n{\n"
      " user = root\n"                 // 12
      " user = nobody\n"               // 13: already set
      " wait += yes\n"                 // 14: not a list
      " mdns = yes\n"                  // 15: not in Debian's xinetd
      "}\n");
  EXPECT_EQ(r.messages,
            (Texts{"/etc/xinetd.conf:3: warning: server cannot be set in defaults: ignored, as "
                   "xinetd does",
                   "/etc/xinetd.conf:4: warning: unknown attribute 'colour': ignored, as xinetd does",
                   "/etc/xinetd.conf:6: warning: a second defaults block in this file: ignored, "
                   "as xinetd does",
                   "/etc/xinetd.conf:13: warning: user is already set (line 12): ignored, as "
                   "xinetd keeps the first",
                   "/etc/xinetd.conf:14: warning: '+=' cannot change wait, only '=': ignored, as "
                   "xinetd does",
                   "/etc/xinetd.conf:15: warning: unknown attribute 'mdns': ignored, as xinetd "
                   "does"}));
  EXPECT_EQ(Values(r["a"], "user"), Texts{"root"});
  EXPECT_EQ(Values(r["a"], "wait"), Texts{"(unset)"});
  EXPECT_EQ(Values(r["a"], "instances"), Texts{"(unset)"});
}

TEST(XinetdService, WrongNumbersOfValuesAreErrors) {
  const Resolved r = Resolve(
      "service a\n{\n port = 1 2\n cps = 10\n server_args =\n env -= A=1\n}\n");
  EXPECT_EQ(r.messages,
            (Texts{"/etc/xinetd.conf:3: error: port takes 1 value, not 2",
                   "/etc/xinetd.conf:4: error: cps takes 2 values, not 1",
                   "/etc/xinetd.conf:5: error: server_args needs a value",
                   "/etc/xinetd.conf:6: error: '-=' cannot change env (xinetd refuses it)"}));
}

}  // namespace
}  // namespace superd::import

// FindUser, FindGroup and CredentialsOf against the users and groups every
// Debian system has (root, daemon, nobody, nogroup, tty).
#include "accounts.hpp"

#include <grp.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>

namespace superd {
namespace {

TEST(FindUser, ByNameAndByUid) {
  const auto by_name = FindUser("root");
  ASSERT_TRUE(std::holds_alternative<User>(by_name));
  EXPECT_EQ(std::get<User>(by_name).uid, 0u);
  EXPECT_EQ(std::get<User>(by_name).name, "root");
  EXPECT_EQ(std::get<User>(by_name).gid, 0u);
  const auto by_uid = FindUser("1");
  ASSERT_TRUE(std::holds_alternative<User>(by_uid));
  EXPECT_EQ(std::get<User>(by_uid).name, "daemon");
  EXPECT_EQ(std::get<User>(by_uid).gid, 1u);
}

TEST(FindUser, AUidWithoutPasswdEntryHasNoName) {
  const auto user = FindUser("54321");
  ASSERT_TRUE(std::holds_alternative<User>(user));
  EXPECT_EQ(std::get<User>(user).uid, 54321u);
  EXPECT_EQ(std::get<User>(user).name, "");
}

TEST(FindUser, AnUnknownNameIsAnError) {
  EXPECT_EQ(std::get<std::string>(FindUser("no-such-user")), "unknown user 'no-such-user'");
}

TEST(FindGroup, ByNameAndByGid) {
  EXPECT_EQ(std::get<gid_t>(FindGroup("root")), 0u);
  EXPECT_EQ(std::get<gid_t>(FindGroup("54322")), 54322u);
  EXPECT_EQ(std::get<std::string>(FindGroup("no-such-group")),
            "unknown group 'no-such-group'");
}

TEST(CredentialsOf, AUserAloneHasItsPrimaryGroupAndItsGroups) {
  const Credentials c = CredentialsOf(std::get<User>(FindUser("root")), std::nullopt);
  EXPECT_EQ(c.uid, 0u);
  EXPECT_EQ(c.gid, 0u);
  EXPECT_EQ(c.user_name, "root");
  ASSERT_FALSE(c.groups.empty());
  EXPECT_EQ(c.groups.front(), 0u);
}

// user.group in inetd.conf, user and group in YAML: initgroups(3) with the
// given group, so the user's own groups stay.
TEST(CredentialsOf, AUserWithAGroupKeepsTheUsersGroups) {
  const struct group* tty = getgrnam("tty");
  ASSERT_NE(tty, nullptr);
  const Credentials c = CredentialsOf(std::get<User>(FindUser("nobody")), tty->gr_gid);
  EXPECT_EQ(c.uid, 65534u);
  EXPECT_EQ(c.gid, tty->gr_gid);
  EXPECT_EQ(c.user_name, "nobody");
  ASSERT_FALSE(c.groups.empty());
  EXPECT_EQ(c.groups.front(), tty->gr_gid);
}

TEST(CredentialsOf, AGroupAloneKeepsSuperdsUser) {
  const Credentials c = CredentialsOf(std::nullopt, gid_t{0});
  EXPECT_EQ(c.uid, geteuid());
  EXPECT_EQ(c.gid, 0u);
  EXPECT_EQ(c.user_name, "");
  EXPECT_EQ(c.groups, std::vector<gid_t>{0});
}

TEST(CredentialsOf, AUidWithoutNameHasOnlyItsGroup) {
  const Credentials c = CredentialsOf(std::get<User>(FindUser("54321")), gid_t{54322});
  EXPECT_EQ(c.uid, 54321u);
  EXPECT_EQ(c.gid, 54322u);
  EXPECT_EQ(c.groups, std::vector<gid_t>{54322});
}

}  // namespace
}  // namespace superd

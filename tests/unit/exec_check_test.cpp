// ProgramProblem on real files, and CheckExecSize at the kernel's limits.
#include "exec_check.hpp"

#include <gtest/gtest.h>

namespace superd {
namespace {

TEST(ProgramProblem, AnExecutableFileHasNone) { EXPECT_EQ(ProgramProblem("/bin/sh"), ""); }

TEST(ProgramProblem, MissingDirectoryAndNotExecutable) {
  EXPECT_EQ(ProgramProblem("/no/such/program"),
            "unable to find /no/such/program: No such file or directory");
  EXPECT_EQ(ProgramProblem("/tmp"), "/tmp is not a regular file");
  // Root too: access(2) grants X_OK only where some execute bit is set.
  EXPECT_EQ(ProgramProblem("/etc/passwd"), "/etc/passwd is not executable");
}

Service Plain() {
  Service s;
  s.name = "s";
  s.program = "/bin/cat";
  return s;
}

TEST(CheckExecSize, AnOrdinaryServiceFits) {
  Service s = Plain();
  s.args = {"-u", "x"};
  s.env = {{"LANG", "C"}};
  EXPECT_FALSE(CheckExecSize(s).has_value());
}

TEST(CheckExecSize, OneStringLongerThanMaxArgStrlen) {
  Service s = Plain();
  s.args = {"a", std::string(200 * 1024, 'b')};
  auto problem = CheckExecSize(s);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->key, "args");
  EXPECT_EQ(problem->index, 1u);
  EXPECT_EQ(problem->message,
            "argument 2 is 204800 bytes, more than the kernel takes for one "
            "(131071, MAX_ARG_STRLEN)");
  s = Plain();
  s.env = {{"BIG", std::string(200 * 1024, 'c')}};
  problem = CheckExecSize(s);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->key, "env");
  EXPECT_EQ(problem->message.substr(0, 29), "variable BIG is 204804 bytes,");
}

TEST(CheckExecSize, AllTogetherBeyondArgMax) {
  Service s = Plain();
  for (int i = 0; i < 3000; ++i) s.args.push_back(std::string(1000, 'a'));
  const auto problem = CheckExecSize(s);
  ASSERT_TRUE(problem.has_value());
  EXPECT_EQ(problem->key, "args");
  EXPECT_NE(problem->message.find("(ARG_MAX)"), std::string::npos) << problem->message;
}

}  // namespace
}  // namespace superd

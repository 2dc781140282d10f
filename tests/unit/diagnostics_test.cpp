#include "diagnostics.hpp"

#include <gtest/gtest.h>

namespace superd {
namespace {

TEST(Diagnostics, FormatsFileLineColumnAndMessage) {
  Diagnostics diag("/etc/superd/superd.yaml");
  EXPECT_TRUE(diag.empty());
  diag.Error({7, 5}, "unknown key 'colour' in service 'echo'");
  EXPECT_FALSE(diag.empty());
  EXPECT_EQ(diag.file(), "/etc/superd/superd.yaml");
  ASSERT_EQ(diag.errors().size(), 1u);
  EXPECT_EQ(diag.Format(diag.errors()[0]),
            "/etc/superd/superd.yaml:7:5: error: unknown key 'colour' in "
            "service 'echo'");
}

TEST(Diagnostics, WithoutPositionOnlyTheFileIsNamed) {
  Diagnostics diag("t.yaml");
  diag.Error({}, "unable to read the table: Permission denied");
  EXPECT_EQ(diag.FormatAll(),
            "t.yaml: error: unable to read the table: Permission denied\n");
}

TEST(Diagnostics, SameMessageAtSamePositionIsRecordedOnce) {
  Diagnostics diag("t.yaml");
  diag.Error({2, 9}, "nice: value 99 is out of range (-20..19)");
  diag.Error({2, 9}, "nice: value 99 is out of range (-20..19)");
  diag.Error({2, 9}, "nice: value 99 is out of range (-20..19)");
  EXPECT_EQ(diag.errors().size(), 1u);
}

TEST(Diagnostics, DifferentPositionOrMessageIsKept) {
  Diagnostics diag("t.yaml");
  diag.Error({2, 9}, "a");
  diag.Error({3, 9}, "a");  // other line
  diag.Error({2, 10}, "a");  // other column
  diag.Error({2, 9}, "b");  // other message
  EXPECT_EQ(diag.errors().size(), 4u);
}

TEST(Diagnostics, FormatAllSortsByLineThenColumnKeepingArrivalOrder) {
  Diagnostics diag("t.yaml");
  diag.Error({10, 3}, "ten");
  diag.Error({2, 7}, "two-seven");
  diag.Error({2, 1}, "two-one");
  diag.Error({10, 3}, "ten again");
  diag.Error({1, 20}, "one");
  EXPECT_EQ(diag.FormatAll(),
            "t.yaml:1:20: error: one\n"
            "t.yaml:2:1: error: two-one\n"
            "t.yaml:2:7: error: two-seven\n"
            "t.yaml:10:3: error: ten\n"
            "t.yaml:10:3: error: ten again\n");
  // errors() keeps the order they were found in.
  EXPECT_EQ(diag.errors().front().message, "ten");
}

TEST(Diagnostics, FormatAllOfNothingIsEmpty) {
  EXPECT_EQ(Diagnostics("t.yaml").FormatAll(), "");
}

TEST(Diagnostics, WarningsArePrintedButDoNotMakeTheTableInvalid) {
  Diagnostics diag("/etc/inetd.conf");
  diag.Warning({4, 1}, "rpc services are not supported; skipped");
  EXPECT_TRUE(diag.empty());
  ASSERT_EQ(diag.warnings().size(), 1u);
  EXPECT_EQ(diag.FormatAll(),
            "/etc/inetd.conf:4:1: warning: rpc services are not supported; skipped\n");
}

TEST(Diagnostics, MergedDiagnosticsKeepTheirFileAndSortByFileFirst) {
  Diagnostics table("superd.yaml");
  Diagnostics included("conf.d/a.yaml");
  included.Error({1, 1}, "in the drop-in");
  included.Warning({9, 2}, "a warning");
  table.Error({7, 3}, "in the table");
  table.Merge(included);
  table.Error({2, 1}, "later, in the table");
  EXPECT_FALSE(table.empty());
  EXPECT_EQ(table.FormatAll(),
            "superd.yaml:2:1: error: later, in the table\n"
            "superd.yaml:7:3: error: in the table\n"
            "conf.d/a.yaml:1:1: error: in the drop-in\n"
            "conf.d/a.yaml:9:2: warning: a warning\n");
}

}  // namespace
}  // namespace superd

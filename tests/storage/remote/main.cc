#include <gtest/gtest.h>

#include "servers.h"

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new astrolake::test::Servers);
  return RUN_ALL_TESTS();
}

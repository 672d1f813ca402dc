#include "common/hostname.h"

#include <unistd.h>

namespace amnl {

std::string hostname() {
  char buf[256] = {0};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

}  // namespace amnl

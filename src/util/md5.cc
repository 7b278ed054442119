#include "util/md5.h"

#include <openssl/md5.h>

namespace spate::util {

Md5Digest Md5(std::string_view bytes) {
  static_assert(MD5_DIGEST_LENGTH == 16);
  Md5Digest digest;
  // MD5() is deprecated in OpenSSL 3 in favour of EVP, but EVP costs two
  // allocations per call on this hot path; the one-shot function is exact.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
  MD5(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest.data());
#pragma GCC diagnostic pop
  return digest;
}

}  // namespace spate::util

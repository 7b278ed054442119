#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace spate::service {

// A request one cluster node forwards to another (src/cluster/forwarder.h,
// docs/formats/cluster-protocol.md "Forwarding"). It carries, instead of the
// client's SigV4 signature (the forwarding node has already checked it and
// may have re-encoded the body), the caller it acts for and an HMAC-SHA256
// under the secret every node of the cluster shares (--cluster-secret-file):
//
//   x-spate-peer-caller:    <account>/<region>/<unix ms when signed>
//   x-spate-peer-signature: hex(HMAC-SHA256(secret, PeerStringToSign(...)))
//
// A node without the secret (no cluster mode) refuses such a request; a node
// with it accepts it within kPeerMaxSkewMs of its signing time and runs it
// where it lands, never forwarding it again (Call::forwarded).
inline constexpr std::string_view kPeerCallerHeader = "x-spate-peer-caller";
inline constexpr std::string_view kPeerSignatureHeader = "x-spate-peer-signature";
inline constexpr int64_t kPeerMaxSkewMs = 300'000;

// The signed text: a version tag, the X-Amz-Target, the caller header's
// value and the SHA-256 (hex) of the body.
inline std::string PeerStringToSign(std::string_view target, std::string_view caller,
                                    std::string_view body_sha256_hex) {
  std::string out = "SPATE-PEER-1\n";
  out.append(target).append("\n").append(caller).append("\n").append(body_sha256_hex);
  return out;
}

}  // namespace spate::service

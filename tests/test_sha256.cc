// SHA-256 against the FIPS 180-4 / NIST example vectors.
#include <gtest/gtest.h>

#include <string>

#include "util/sha256.h"

namespace {

std::string hex_of(const void *data, size_t len) {
    ccx_sha256 s;
    ccx_sha256_init(&s);
    ccx_sha256_update(&s, data, len);
    uint8_t d[32];
    ccx_sha256_final(&s, d);
    char hex[65];
    ccx_sha256_hex(d, hex);
    return std::string(hex);
}

std::string hex_of(const std::string &m) { return hex_of(m.data(), m.size()); }

}  // namespace

TEST(Sha256, Empty) {
    EXPECT_EQ(hex_of(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, Abc) {
    EXPECT_EQ(hex_of("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, TwoBlockMessage448Bits) {
    EXPECT_EQ(hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, TwoBlockMessage896Bits) {
    EXPECT_EQ(hex_of("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmn"
                     "hijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"),
              "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, OneMillionAInUnevenChunks) {
    const std::string a(1000, 'a');
    ccx_sha256 s;
    ccx_sha256_init(&s);
    size_t fed = 0, step = 1;
    while (fed < 1000000) {
        size_t n = step;
        if (n > a.size()) n = a.size();
        if (n > 1000000 - fed) n = 1000000 - fed;
        ccx_sha256_update(&s, a.data(), n);
        fed += n;
        step = step * 7 % 997 + 1;  // 1, 8, 57, 400, ... uneven, some > 64
    }
    uint8_t d[32];
    ccx_sha256_final(&s, d);
    char hex[65];
    ccx_sha256_hex(d, hex);
    EXPECT_STREQ(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, ChunkingDoesNotMatterAroundBlockBoundaries) {
    // Lengths around the 55/56/64-byte padding edges, fed whole and byte by byte.
    for (size_t len : {0u, 1u, 55u, 56u, 57u, 63u, 64u, 65u, 119u, 120u, 128u, 200u}) {
        std::string m(len, '\0');
        for (size_t i = 0; i < len; i++) m[i] = static_cast<char>(i * 31 + 7);
        ccx_sha256 s;
        ccx_sha256_init(&s);
        for (size_t i = 0; i < len; i++) ccx_sha256_update(&s, m.data() + i, 1);
        uint8_t d[32];
        ccx_sha256_final(&s, d);
        char hex[65];
        ccx_sha256_hex(d, hex);
        EXPECT_EQ(std::string(hex), hex_of(m)) << "length " << len;
    }
}

/*
 * CRC-32C (Castagnoli) for Node-API: the checksum of Kafka's record batch v2.
 *
 * Parameters: reflected polynomial 0x82F63B78, init 0xFFFFFFFF, xorout 0xFFFFFFFF;
 * crc32c("123456789") = 0xE3069283.
 *
 * x86-64 with SSE4.2 + PCLMULQDQ (checked at run time): three independent CRC32Q streams over
 * three adjacent lanes of a block, so the CPU's CRC unit is kept busy (one CRC32Q per cycle
 * instead of one per three cycles: the instruction's latency is 3). The lane results are joined
 * by shifting each over the bytes that follow it: crc(A || B) = crc(A) * x^(8|B|) + crc(B) (mod P,
 * on the register, before the xorout; lanes other than the first start from 0), the multiplication being a carry-less multiply by a precomputed
 * constant followed by one CRC32Q to reduce. Short inputs and tails use one stream.
 *
 * x86-64 with AVX-512F + VPCLMULQDQ too (CPUID and XGETBV checked at run time; compiled with target
 * attributes, so the file builds without -m flags): from VPCLMUL_MIN_BYTES on, the buffer is folded
 * 64 bytes per carry-less multiply pair into eight ZMM accumulators, which are not bound by the CRC32
 * instruction's one-per-cycle throughput (~2x the 3-way path on AMD Zen 4).
 *
 * Elsewhere (or on an x86 CPU without those instructions): slicing-by-8 tables.
 *
 * Polynomials are in the reflected representation throughout: bit i of a 32-bit value is the
 * coefficient of x^(31-i), bit i of a 64-bit value the coefficient of x^(63-i).
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(_WIN32)
#include <windows.h>
#else
#include <pthread.h>
#endif

#define CRC32C_POLY 0x82F63B78u

/* ---------------------------------------------------------------- portable: slicing-by-8 */

/* table[t][b]: the register after byte b followed by t zero bytes, starting from 0. */
static uint32_t table[8][256];

static void init_tables(void) {
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = b;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1u)));
    table[0][b] = c;
  }
  for (uint32_t b = 0; b < 256; b++) {
    uint32_t c = table[0][b];
    for (int t = 1; t < 8; t++) {
      c = (c >> 8) ^ table[0][c & 0xff];
      table[t][b] = c;
    }
  }
}

static inline uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* Advances the register (already inverted) over n bytes. */
static uint32_t crc_portable(uint32_t crc, const uint8_t *p, size_t n) {
  while (n >= 8) {
    uint32_t lo = crc ^ le32(p);
    uint32_t hi = le32(p + 4);
    crc = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^ table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
          table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^ table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
  return crc;
}

/* ---------------------------------------------------------------- x86-64: SSE4.2 + PCLMULQDQ */

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(CRC32C_PORTABLE_ONLY)
#define HAVE_X86_PATH 1
#include <immintrin.h>

#define HW __attribute__((target("sse4.2,pclmul")))

/*
 * Lane lengths, largest first. A block is three lanes; each tier runs while a whole block fits,
 * then the next; what is left (< 3 * smallest lane) is one stream.
 */
#define TIERS 3
static const size_t lane_bytes[TIERS] = {8192, 1024, 128};
/* Shift constants per tier: [k] moves a result over k + 1 lanes. */
static uint64_t shift_k[TIERS][3];

/* x^m mod P, by multiplying by x m times (only at load, for a few constants). */
static uint32_t xpow_mod(uint64_t m) {
  uint32_t v = 0x80000000u; /* x^0 */
  while (m--) v = (v >> 1) ^ (CRC32C_POLY & (0u - (v & 1u)));
  return v;
}

static void init_shift_constants(void) {
  /*
   * clmul(a, K) of two 32-bit reflected values is a 64-bit reflected value equal to a*K*x
   * (the product of degree-31 terms lands one bit short of the 64-bit frame), and
   * CRC32Q(0, D) = D * x^32 mod P. So CRC32Q(0, clmul(a, K)) = a * K * x^33: to multiply by
   * x^(8n), K = x^(8n - 33) mod P.
   */
  for (int t = 0; t < TIERS; t++) {
    shift_k[t][0] = xpow_mod(8 * (uint64_t)lane_bytes[t] - 33);
    shift_k[t][1] = xpow_mod(16 * (uint64_t)lane_bytes[t] - 33);
    shift_k[t][2] = xpow_mod(24 * (uint64_t)lane_bytes[t] - 33);
  }
}

static inline uint64_t load64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

HW static inline uint32_t shift_hw(uint32_t crc, uint64_t k) {
  __m128i product = _mm_clmulepi64_si128(_mm_cvtsi32_si128((int)crc), _mm_cvtsi64_si128((long long)k), 0x00);
  return (uint32_t)_mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(product));
}

HW static inline uint32_t crc_hw_1way(uint32_t crc, const uint8_t *p, size_t n) {
  uint64_t c = crc;
  while (n >= 8) {
    c = _mm_crc32_u64(c, load64(p));
    p += 8;
    n -= 8;
  }
  crc = (uint32_t)c;
  if (n & 4) {
    uint32_t v;
    memcpy(&v, p, 4);
    crc = _mm_crc32_u32(crc, v);
    p += 4;
  }
  if (n & 2) {
    uint16_t v;
    memcpy(&v, p, 2);
    crc = _mm_crc32_u16(crc, v);
    p += 2;
  }
  if (n & 1) crc = _mm_crc32_u8(crc, *p);
  return crc;
}

HW static uint32_t crc_hw(uint32_t crc, const uint8_t *p, size_t n) {
  for (int t = 0; t < TIERS; t++) {
    const size_t lane = lane_bytes[t];
    while (n >= 3 * lane) {
      /* All three lanes start from 0 and the running crc is shifted over the whole block in the
         join, so no lane waits for the previous block's join. */
      uint64_t a = 0, b = 0, c = 0;
      const uint8_t *q = p;
      const uint8_t *const end = p + lane;
      do {
        a = _mm_crc32_u64(a, load64(q));
        b = _mm_crc32_u64(b, load64(q + lane));
        c = _mm_crc32_u64(c, load64(q + 2 * lane));
        q += 8;
      } while (q < end);
      crc = shift_hw(crc, shift_k[t][2]) ^ shift_hw((uint32_t)a, shift_k[t][1]) ^ shift_hw((uint32_t)b, shift_k[t][0]) ^
            (uint32_t)c;
      p += 3 * lane;
      n -= 3 * lane;
    }
  }
  return crc_hw_1way(crc, p, n);
}

/* ---------------------------------------------------------------- x86-64: AVX-512 + VPCLMULQDQ folding */

/*
 * Compilers that know the vpclmulqdq target (GCC 8, clang 6); the CPU and OS are checked at run time.
 *
 * Folding: the message is a polynomial M(x) (first byte highest), and crc = M(x) * x^32 mod P. A
 * 16-byte chunk A that sits d bits before a later chunk B contributes A(x) * x^d * (what follows B), so
 * A can be replaced by any polynomial of degree < 128 congruent to A(x) * x^d and XORed into B without
 * changing the CRC. With A = H * x^64 + L (H: its first 8 bytes, the low qword of a little-endian load;
 * L: the last 8), A * x^d = H * x^(d+64) + L * x^d, and each term is one carry-less multiply of a
 * qword by a 32-bit constant: clmul(a, K) = a * K * x^33 in the 128-bit frame (see the shift
 * constants above), so K = x^(d+64-33) mod P for H and x^(d-33) mod P for L; the products have
 * degree < 128. VPCLMULQDQ does four such 16-byte chunks per instruction, per 64-byte ZMM register.
 *
 * Blocks of ACC * 64 bytes go into ACC independent accumulators (the multiply's latency is hidden by
 * the other accumulators; on Zen 4 the loop runs at the multiplier's throughput with 4 or more). The
 * first block is completed by zero chunks in front, which leave the CRC unchanged (the register
 * starts at 0 and the initial one is XORed into the first 4 real bytes, as the definition does).
 * After the last block the accumulators are folded into one ZMM, its four lanes into one 128-bit
 * value, the remaining (< 4) 16-byte chunks into that. The last 16-byte value V is the message's
 * state: the CRC of (V's bytes, then the < 16 bytes left) from register 0, which two CRC32Q
 * instructions and the 1-way tail compute. Under 64 bytes only the 128-bit part runs.
 */
#if (defined(__clang__) && __clang_major__ >= 6) || (!defined(__clang__) && __GNUC__ >= 8)
#define HAVE_VPCLMUL_PATH 1
#include <cpuid.h>

#define VP __attribute__((target("sse4.2,pclmul,avx512f,vpclmulqdq")))

#define ACC 8
/* Per-lane constants (low qword for H, high qword for L) to fold over d bytes. */
static __m128i fold_k128_16;           /* d = 16 */
static uint64_t fold_k[ACC + 1][2];     /* d = 64 * i (i >= 1); [ACC] is the main loop's block */
static uint64_t lanes_k[4][2];          /* zmm lane j (of 4) over d = 16 * (3 - j); lane 3: zero */

static void fold_constant(uint64_t out[2], uint64_t d_bytes) {
  out[0] = xpow_mod(8 * d_bytes + 64 - 33);
  out[1] = xpow_mod(8 * d_bytes - 33);
}

static void init_fold_constants(void) {
  uint64_t k[2];
  fold_constant(k, 16);
  fold_k128_16 = _mm_set_epi64x((long long)k[1], (long long)k[0]);
  for (int i = 1; i <= ACC; i++) fold_constant(fold_k[i], 64 * (uint64_t)i);
  for (int j = 0; j < 3; j++) fold_constant(lanes_k[j], 16 * (uint64_t)(3 - j));
  lanes_k[3][0] = lanes_k[3][1] = 0;
}

VP static inline __m512i k512(const uint64_t k[2]) {
  return _mm512_broadcast_i32x4(_mm_set_epi64x((long long)k[1], (long long)k[0]));
}

/* fold(a) ^ b: a moved over the distance k was made for, XORed into b. */
VP static inline __m512i fold512(__m512i a, __m512i k, __m512i b) {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(a, k, 0x00), _mm512_clmulepi64_epi128(a, k, 0x11), b, 0x96);
}

VP static inline __m128i fold128(__m128i a, __m128i k, __m128i b) {
  return _mm_xor_si128(_mm_xor_si128(_mm_clmulepi64_si128(a, k, 0x00), _mm_clmulepi64_si128(a, k, 0x11)), b);
}

/* Advances the register (already inverted) over n bytes; any n (< 16 is the 1-way path). */
VP static uint32_t crc_vpclmul(uint32_t crc, const uint8_t *p, size_t n) {
  if (n < 16) return crc_hw_1way(crc, p, n);
  __m128i v;
  if (n >= 64) {
    /* The chunks of 64 bytes make whole blocks once `lead` zero chunks are put before them: leading
       zeros do not change a CRC whose register starts at 0 (the initial register is XORed into the
       first real chunk). So there is no serial fold of a remainder of chunks. */
    size_t lead = (ACC - (n / 64) % ACC) % ACC;
    __m512i a[ACC];
    for (size_t i = 0; i < ACC; i++) {
      if (i < lead) {
        a[i] = _mm512_setzero_si512();
      } else {
        a[i] = _mm512_loadu_si512((const void *)(p + 64 * (i - lead)));
        if (i == lead) a[i] = _mm512_xor_si512(a[i], _mm512_maskz_set1_epi32(1, (int)crc));
      }
    }
    p += 64 * (ACC - lead);
    n -= 64 * (ACC - lead);
    const __m512i kb = k512(fold_k[ACC]);
    if (n >= ACC * 64) lead = 0; /* the zero accumulators take data from the next block on */
    while (n >= ACC * 64) {
      for (int i = 0; i < ACC; i++) a[i] = fold512(a[i], kb, _mm512_loadu_si512((const void *)(p + 64 * i)));
      p += ACC * 64;
      n -= ACC * 64;
    }
    /* Each accumulator over the ones after it, in parallel (those still zero skipped). */
    __m512i x = a[ACC - 1];
    for (size_t i = 0; i < ACC - 1; i++)
      if (i >= lead) x = fold512(a[i], k512(fold_k[ACC - 1 - i]), x);
    /* Lanes 0..2 over 48, 32 and 16 bytes (lane 3's constant is 0), then the four lanes XORed. */
    const __m512i kl = _mm512_set_epi64((long long)lanes_k[3][1], (long long)lanes_k[3][0], (long long)lanes_k[2][1],
                                        (long long)lanes_k[2][0], (long long)lanes_k[1][1], (long long)lanes_k[1][0],
                                        (long long)lanes_k[0][1], (long long)lanes_k[0][0]);
    const __m512i y = _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, kl, 0x00), _mm512_clmulepi64_epi128(x, kl, 0x11),
                                                _mm512_maskz_mov_epi64(0xC0, x), 0x96);
    v = _mm_xor_si128(_mm_xor_si128(_mm512_castsi512_si128(y), _mm512_extracti32x4_epi32(y, 1)),
                      _mm_xor_si128(_mm512_extracti32x4_epi32(y, 2), _mm512_extracti32x4_epi32(y, 3)));
  } else {
    v = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)crc));
    p += 16;
    n -= 16;
  }
  while (n >= 16) {
    v = fold128(v, fold_k128_16, _mm_loadu_si128((const __m128i *)p));
    p += 16;
    n -= 16;
  }
  uint64_t c = _mm_crc32_u64(0, (uint64_t)_mm_cvtsi128_si64(v));
  c = _mm_crc32_u64(c, (uint64_t)_mm_extract_epi64(v, 1));
  return crc_hw_1way((uint32_t)c, p, n);
}

/* CPUID leaf 7 ECX bit 10 (VPCLMULQDQ), AVX-512F, and the OS saving the ZMM and mask state (XCR0 bits 1, 2, 5, 6, 7). */
static int cpu_has_vpclmul(void) {
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 27))) return 0; /* OSXSAVE */
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  if ((lo & 0xE6u) != 0xE6u) return 0;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) || !(ecx & (1u << 10))) return 0;
  return __builtin_cpu_supports("avx512f");
}
#endif
#endif

/* ---------------------------------------------------------------- dispatch and Node-API */

/* The paths, slowest first; `best` is the fastest this CPU has. */
enum path { PORTABLE, HW_3WAY, VPCLMUL, AUTO };
static enum path best = PORTABLE;

/* From this many bytes on, `crc32c` takes the VPCLMULQDQ path when it is `best` (below, the 3-way path is as fast or faster). */
#define VPCLMUL_MIN_BYTES 256

static void init_once(void) {
  init_tables();
#ifdef HAVE_X86_PATH
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul")) {
    init_shift_constants();
    best = HW_3WAY;
#ifdef HAVE_VPCLMUL_PATH
    if (cpu_has_vpclmul()) {
      init_fold_constants();
      best = VPCLMUL;
    }
#endif
  }
#endif
}

#if defined(_WIN32)
static INIT_ONCE once = INIT_ONCE_STATIC_INIT;
static BOOL CALLBACK init_once_win(PINIT_ONCE o, PVOID p, PVOID *c) {
  (void)o, (void)p, (void)c;
  init_once();
  return TRUE;
}
static void ensure_init(void) { InitOnceExecuteOnce(&once, init_once_win, NULL, NULL); }
#else
static pthread_once_t once = PTHREAD_ONCE_INIT;
static void ensure_init(void) { pthread_once(&once, init_once); }
#endif

static uint32_t crc32c_update(uint32_t initial, const uint8_t *p, size_t n, enum path path) {
  uint32_t crc = ~initial;
  if (path == AUTO) path = best == VPCLMUL && n < VPCLMUL_MIN_BYTES ? HW_3WAY : best;
  switch (path) {
#ifdef HAVE_VPCLMUL_PATH
    case VPCLMUL:
      return ~crc_vpclmul(crc, p, n);
#endif
#ifdef HAVE_X86_PATH
    case HW_3WAY:
      return ~crc_hw(crc, p, n);
#endif
    default:
      return ~crc_portable(crc, p, n);
  }
}

static size_t element_bytes(napi_typedarray_type type) {
  switch (type) {
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_int32_array:
    case napi_uint32_array:
    case napi_float32_array:
      return 4;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      return 8;
    default:
      return 1;
  }
}

/* crc32c(data: ArrayBufferView, initial = 0): number; `initial` continues a previous result. */
static napi_value call(napi_env env, napi_callback_info info, enum path path) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok) return NULL;
  if (argc < 1) {
    napi_throw_type_error(env, NULL, "crc32c: expected a Uint8Array");
    return NULL;
  }

  const uint8_t *data = NULL;
  size_t bytes = 0;
  napi_typedarray_type type;
  size_t length;
  void *base;
  /* Node gives `base` already advanced by the view's byteOffset. */
  if (napi_get_typedarray_info(env, argv[0], &type, &length, &base, NULL, NULL) == napi_ok) {
    data = base;
    bytes = length * element_bytes(type);
  } else if (napi_get_dataview_info(env, argv[0], &length, &base, NULL, NULL) == napi_ok) {
    data = base;
    bytes = length;
  } else {
    napi_throw_type_error(env, NULL, "crc32c: expected a Uint8Array");
    return NULL;
  }

  uint32_t initial = 0;
  if (argc >= 2 && napi_get_value_uint32(env, argv[1], &initial) != napi_ok) {
    napi_valuetype vt;
    if (napi_typeof(env, argv[1], &vt) != napi_ok || vt != napi_undefined) {
      napi_throw_type_error(env, NULL, "crc32c: initial must be a number");
      return NULL;
    }
    initial = 0;
  }

  uint32_t crc = bytes ? crc32c_update(initial, data, bytes, path) : initial;
  napi_value result;
  if (napi_create_uint32(env, crc, &result) != napi_ok) return NULL;
  return result;
}

static napi_value js_crc32c(napi_env env, napi_callback_info info) { return call(env, info, AUTO); }
static napi_value js_crc32c_portable(napi_env env, napi_callback_info info) { return call(env, info, PORTABLE); }
static napi_value js_crc32c_3way(napi_env env, napi_callback_info info) { return call(env, info, HW_3WAY); }
static napi_value js_crc32c_vpclmul(napi_env env, napi_callback_info info) { return call(env, info, VPCLMUL); }

/* exports[name] = a function when `available`, else null. */
static int export_path(napi_env env, napi_value exports, const char *name, napi_callback cb, int available) {
  napi_value value;
  if ((available ? napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &value) : napi_get_null(env, &value)) != napi_ok)
    return 0;
  return napi_set_named_property(env, exports, name, value) == napi_ok;
}

NAPI_MODULE_INIT() {
  ensure_init();
  static const char *const names[] = {"portable-slicing-by-8", "x86-64-sse4.2-3way", "x86-64-avx512-vpclmul"};
  napi_value implementation, threshold;
  if (!export_path(env, exports, "crc32c", js_crc32c, 1) ||
      !export_path(env, exports, "crc32cPortable", js_crc32c_portable, 1) ||
      !export_path(env, exports, "crc32c3way", js_crc32c_3way, best >= HW_3WAY) ||
      !export_path(env, exports, "crc32cVpclmul", js_crc32c_vpclmul, best >= VPCLMUL) ||
      napi_create_string_utf8(env, names[best], NAPI_AUTO_LENGTH, &implementation) != napi_ok ||
      napi_set_named_property(env, exports, "implementation", implementation) != napi_ok ||
      napi_create_uint32(env, best == VPCLMUL ? VPCLMUL_MIN_BYTES : 0, &threshold) != napi_ok ||
      napi_set_named_property(env, exports, "vpclmulMinBytes", threshold) != napi_ok) {
    return NULL;
  }
  return exports;
}

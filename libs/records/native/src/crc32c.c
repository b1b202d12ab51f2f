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
#endif

/* ---------------------------------------------------------------- dispatch and Node-API */

static int use_hw = 0;

static void init_once(void) {
  init_tables();
#ifdef HAVE_X86_PATH
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("pclmul")) {
    init_shift_constants();
    use_hw = 1;
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

static uint32_t crc32c_update(uint32_t initial, const uint8_t *p, size_t n, int hw) {
  uint32_t crc = ~initial;
#ifdef HAVE_X86_PATH
  if (hw) return ~crc_hw(crc, p, n);
#else
  (void)hw;
#endif
  return ~crc_portable(crc, p, n);
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
static napi_value call(napi_env env, napi_callback_info info, int hw) {
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

  uint32_t crc = bytes ? crc32c_update(initial, data, bytes, hw) : initial;
  napi_value result;
  if (napi_create_uint32(env, crc, &result) != napi_ok) return NULL;
  return result;
}

static napi_value js_crc32c(napi_env env, napi_callback_info info) { return call(env, info, use_hw); }

static napi_value js_crc32c_portable(napi_env env, napi_callback_info info) { return call(env, info, 0); }

NAPI_MODULE_INIT() {
  ensure_init();
  napi_value fast, portable, implementation;
  const char *name = use_hw ? "x86-64-sse4.2-3way" : "portable-slicing-by-8";
  if (napi_create_function(env, "crc32c", NAPI_AUTO_LENGTH, js_crc32c, NULL, &fast) != napi_ok ||
      napi_create_function(env, "crc32cPortable", NAPI_AUTO_LENGTH, js_crc32c_portable, NULL, &portable) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &implementation) != napi_ok ||
      napi_set_named_property(env, exports, "crc32c", fast) != napi_ok ||
      napi_set_named_property(env, exports, "crc32cPortable", portable) != napi_ok ||
      napi_set_named_property(env, exports, "implementation", implementation) != napi_ok) {
    return NULL;
  }
  return exports;
}

/*
 * lib/rng.h - deterministic pseudo-random numbers.
 *
 * xoshiro256** (Blackman and Vigna, 2018) seeded through splitmix64, so one
 * 64-bit seed gives the same stream on every machine and compiler. Each user
 * owns its state (no global generator: two simulators can share a process).
 */
#ifndef SLATSIM_RNG_H
#define SLATSIM_RNG_H

#include <stdint.h>

typedef struct rng {
	uint64_t s[4];
} rng;

static inline uint64_t rng_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

/* A stateless 64-bit mix (the splitmix64 finaliser) for hashing keys. */
static inline uint64_t rng_hash64(uint64_t x)
{
	return rng_splitmix64(&x);
}

static inline void rng_seed(rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = rng_splitmix64(&seed);
}

static inline uint64_t rng_rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rng_rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rng_rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n), n > 0; Lemire's multiply-shift with rejection (no divide
 * on the common path). */
static inline uint64_t rng_below(rng *r, uint64_t n)
{
	unsigned __int128 m = (unsigned __int128)rng_next(r) * n;
	uint64_t lo = (uint64_t)m;
	if (lo < n) {
		uint64_t t = -n % n;
		while (lo < t) {
			m = (unsigned __int128)rng_next(r) * n;
			lo = (uint64_t)m;
		}
	}
	return (uint64_t)(m >> 64);
}

/* Uniform double in [0, 1). */
static inline double rng_double(rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

#endif

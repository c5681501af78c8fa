/* Compiled rules of the emigration model: route choice, travel (with dispatch and arrival), border queues,
 * flights, departures' new rows, returns, stays that run out, onward moves, money, and the day's recording.
 * Part of the extension crossings.engine._kernels (with _kernels.c), loaded with ctypes by
 * engine/models/emigration/kernels_c.py; no Python API.
 *
 * Each kernel is the twin of a vectorised NumPy rule (route_choice.py, travel.py + movement.py + entry.py,
 * border_queues.py, flights.py, departures.py, returns.py, stays.py, onward.py, money.py, counters.py,
 * observe.py) and gives the same bytes for the same seed: agents are visited one by one, but no agent's outcome
 * depends on another's within a rule (stocks and flows are integer sums; queues and seats are served in the order
 * of the day an agent joined, then its id), and every random number is counter-based, u = f(stream key, day,
 * agent id, draw number) (the same function as engine/rng.py's counter_uniforms), or drawn by Python from the
 * rule's sequential stream in the twin's order and handed in.
 * Floating point follows the NumPy twins operation by operation, in the same precision (float32 columns stay
 * float32); the extension is built with -ffp-contract=off (no fused multiply-add).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* must equal engine/models/emigration/state.py and travel.py (checked by crossings_em_constants' test) */
enum { PLAN = 0, PLAN_NO_AIR = 1, MOVING = 2, QUEUED = 3, SEAT_WAIT = 4, SETTLED = 5, RETURNED = 6 };
enum { NO_PERMIT = 0, PERMIT = 3 };
#define EM_NEVER 2147483647
#define I16_MAX 32767
#define EM_MAX_CHAIN 1000
#define EM_EPS 1e-6
#define ENTRY_ON_ARRIVAL 0 /* entry draws: number 2 × link + site */
#define ENTRY_AT_CROSSING 1
#define ROOT2_STEP 0.41421356237309515 /* the visa trait's Weyl step (entry.ROOT2_STEP) */

/* ---- the counter-based generator (engine/rng.py) ------------------------------------------------------ */

static inline uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t crossings_day_key(uint64_t key, int64_t day) {
    return mix64(key + (uint64_t)(day + 1) * 0x9E3779B97F4A7C15ULL);
}

static inline double counter_uniform(uint64_t dkey, int64_t id, int64_t draw) {
    uint64_t z = mix64(dkey + (uint64_t)id * 0xD1B54A32D192ED03ULL);
    z = mix64(z + (uint64_t)draw * 0x8CB92BA72F3D8DD7ULL);
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

void crossings_counter_uniforms(uint64_t dkey, const int64_t *ids, const int64_t *draws, int64_t n, double *out) {
    for (int64_t k = 0; k < n; k++) out[k] = counter_uniform(dkey, ids[k], draws[k]);
}

void crossings_em_constants(int64_t *out) {
    int64_t v[] = {PLAN, PLAN_NO_AIR, MOVING, QUEUED, SEAT_WAIT, SETTLED, RETURNED, NO_PERMIT, PERMIT, EM_NEVER,
                   EM_MAX_CHAIN, ENTRY_ON_ARRIVAL, ENTRY_AT_CROSSING};
    for (int k = 0; k < (int)(sizeof v / sizeof v[0]); k++) out[k] = v[k];
}

double crossings_em_eps(void) { return EM_EPS; }

/* ---- scanning the state column ----------------------------------------------------------------------- */

/* Scans for the rows of [0, n) that match a test, written to rows[] in order (returns their number). With SSE2
 * (every x86-64), 16 rows are tested at once into a 16-bit mask (a comparison per 4 or 16 lanes, packed), and only
 * the set bits are visited: most blocks match nothing and cost one branch. Elsewhere, and for the tail, row by row.
 * The rows found are the same either way. */

#define EM_BLOCK 64 /* rows per block of the money kernel's pass */

/* The rows b + j whose bit j of mask is set, appended to rows[m...]; returns the new count. */
static inline int64_t emit_mask(uint32_t mask, int64_t b, int64_t *rows, int64_t m) {
    while (mask) {
        rows[m++] = b + __builtin_ctz(mask);
        mask &= mask - 1;
    }
    return m;
}

/* A scan: MASK16 gives the mask of rows [b, b + 16) (SSE2 only), COND the test of row i. */
#ifdef __SSE2__
#define SCAN(MASK16, COND)                                                          \
    int64_t m = 0, b = 0;                                                           \
    for (; b + 16 <= n; b += 16) {                                                  \
        uint32_t mask = (MASK16);                                                   \
        if (mask) m = emit_mask(mask, b, rows, m);                                  \
    }                                                                               \
    for (int64_t i = b; i < n; i++) {                                               \
        rows[m] = i;                                                                \
        m += (COND);                                                                \
    }                                                                               \
    return m

#define LD(p, k) _mm_loadu_si128((const __m128i *)((p) + b + (k)))

/* 16 int32 lanes of comparison results (all ones or zero), four vectors, packed into 16 bits in row order */
static inline uint32_t pack16(__m128i a, __m128i b, __m128i c, __m128i d) {
    return (uint32_t)_mm_movemask_epi8(_mm_packs_epi16(_mm_packs_epi32(a, b), _mm_packs_epi32(c, d)));
}

/* the mask of rows [b, b + 16) where f(x) holds, f a comparison of four int32 lanes given as OP(k) */
#define MASK32(OP) pack16(OP(0), OP(4), OP(8), OP(12))
#else
#define SCAN(MASK16, COND)                                                          \
    int64_t m = 0;                                                                  \
    for (int64_t i = 0; i < n; i++) {                                               \
        rows[m] = i;                                                                \
        m += (COND);                                                                \
    }                                                                               \
    return m
#endif

static int64_t rows_le(const int32_t *x, int32_t v, int64_t n, int64_t *rows) {
#ifdef __SSE2__
    const __m128i vv = _mm_set1_epi32(v);
#define GT(k) _mm_cmpgt_epi32(LD(x, k), vv)
    SCAN(~MASK32(GT) & 0xFFFFu, x[i] <= v);
#undef GT
#else
    SCAN(0, x[i] <= v);
#endif
}

static int64_t rows_eq(const int32_t *x, int32_t v, int64_t n, int64_t *rows) {
#ifdef __SSE2__
    const __m128i vv = _mm_set1_epi32(v);
#define EQ(k) _mm_cmpeq_epi32(LD(x, k), vv)
    SCAN(MASK32(EQ), x[i] == v);
#undef EQ
#else
    SCAN(0, x[i] == v);
#endif
}

static int64_t rows_ne(const int32_t *x, const int32_t *y, int64_t n, int64_t *rows) {
#ifdef __SSE2__
#define EQ(k) _mm_cmpeq_epi32(LD(x, k), LD(y, k))
    SCAN(~MASK32(EQ) & 0xFFFFu, x[i] != y[i]);
#undef EQ
#else
    SCAN(0, x[i] != y[i]);
#endif
}

/* x[i] != y[i] or u[i] != v[i] or p[i] != q[i] */
static int64_t rows_ne3(const int32_t *x, const int32_t *y, const int32_t *u, const int32_t *v, const int32_t *p,
                        const int32_t *q, int64_t n, int64_t *rows) {
#ifdef __SSE2__
    const __m128i zero = _mm_setzero_si128();
#define SAME(k) _mm_cmpeq_epi32(_mm_or_si128(_mm_or_si128(_mm_xor_si128(LD(x, k), LD(y, k)),                   \
                                                          _mm_xor_si128(LD(u, k), LD(v, k))),                  \
                                             _mm_xor_si128(LD(p, k), LD(q, k))), zero)
    SCAN(~MASK32(SAME) & 0xFFFFu, ((x[i] ^ y[i]) | (u[i] ^ v[i]) | (p[i] ^ q[i])) != 0);
#undef SAME
#else
    SCAN(0, ((x[i] ^ y[i]) | (u[i] ^ v[i]) | (p[i] ^ q[i])) != 0);
#endif
}

/* Rows i in [0, n) with state[i] == s (or, with at_most, 0 <= state[i] <= s), written to rows[]; returns their
 * number. States are small non-negative codes. */
static int64_t rows_in_state(const int8_t *state, int64_t n, int s, int at_most, int64_t *rows) {
    const uint8_t *st = (const uint8_t *)state;
    uint8_t top = (uint8_t)s;
#ifdef __SSE2__
    const __m128i t = _mm_set1_epi8((char)top);
    if (at_most) { /* st <= top: max(st, top) == top (unsigned) */
        SCAN((uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(LD(st, 0), t), t)), st[i] <= top);
    }
    SCAN((uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(LD(st, 0), t)), st[i] == top);
#else
    if (at_most) {
        SCAN(0, st[i] <= top);
    }
    SCAN(0, st[i] == top);
#endif
}

#undef SCAN
#ifdef __SSE2__
#undef LD
#undef MASK32
#endif

/* ---- the run's arrays (the field order is mirrored by kernels_c.EmCtx) ---------------------------------- */

typedef struct {
    /* agent columns */
    int32_t *id, *loc, *link, *home;
    float *progress;
    int32_t *route;
    int8_t *hop, *state;
    int32_t *since;
    int16_t *tries, *wait_days;
    int8_t *travel_mode, *category, *sex, *age_band;
    float *savings;
    int8_t *stay_country;
    int32_t *entry_day, *window_start;
    int16_t *window_used;
    int32_t *allowed_until;
    int8_t *permit, *avoid, *broke;
    uint64_t *entered; /* bit k: country k (abroad) entered since the agent left home (first arrivals) */
    /* stocks */
    int64_t *present, *on_link, *in_country, *queue, *seat_wait, *permits, *at_home;
    /* the day's flows */
    int64_t *departures, *arrivals, *link_entries, *link_exits, *entries, *exits, *joins, *passages, *wait_sum,
        *gave_up, *turned_back, *seat_joins, *boarded, *missed_seat, *seat_gave_up, *border, *refused,
        *permits_ended, *returns, *returned_home, *travellers_back, *cat_returned, *first_arrivals,
        *emigrant_returns;
    /* places and links */
    const int32_t *country, *link_country, *link_src, *link_dst;
    const double *link_days;
    const uint8_t *gated, *is_air;
    const int64_t *gates;
    const double *link_cost, *cost_of_living;
    const uint8_t *settle_ok, *round_trip;
    const int64_t *origin_pos;
    /* countries: entry policies */
    const uint8_t *abroad, *banned;
    const int64_t *per_entry, *window_max, *window_len, *visa_days;
    const double *visa_p, *visa_cost, *visa_holders;
    /* candidate paths */
    const int64_t *path_start, *by_origin;
    const int32_t *path_links, *path_n_links, *path_end;
    const double *path_cost;
    /* parameters of the day */
    uint64_t entry_key; /* the entry stream's key today (crossings_day_key) */
    double visa_salt;   /* the run's offset of the agents' visa trait (entry.holder_salt) */
    int64_t n_paths, n_gates, n_links, n_cat, n_sex, n_age;
    int32_t day, policies, fares, priced, route_tries, queue_patience, seat_patience, no_seat_stays;
} EmCtx;

int64_t crossings_em_ctx_size(void) { return (int64_t)sizeof(EmCtx); }

/* Offsets of the fields of EmCtx, in their order (tested against kernels_c.EmCtx). */
#define O(f) (int64_t) offsetof(EmCtx, f)
int64_t crossings_em_layout(int64_t *out) {
    const int64_t v[] = {
        O(id), O(loc), O(link), O(home), O(progress), O(route), O(hop), O(state), O(since), O(tries), O(wait_days),
        O(travel_mode), O(category), O(sex), O(age_band), O(savings), O(stay_country), O(entry_day), O(window_start),
        O(window_used), O(allowed_until), O(permit), O(avoid), O(broke), O(entered), O(present), O(on_link), O(in_country),
        O(queue), O(seat_wait), O(permits), O(at_home), O(departures), O(arrivals), O(link_entries), O(link_exits),
        O(entries), O(exits), O(joins), O(passages), O(wait_sum), O(gave_up), O(turned_back), O(seat_joins), O(boarded),
        O(missed_seat), O(seat_gave_up), O(border), O(refused), O(permits_ended), O(returns), O(returned_home),
        O(travellers_back), O(cat_returned), O(first_arrivals), O(emigrant_returns), O(country), O(link_country), O(link_src), O(link_dst), O(link_days),
        O(gated), O(is_air), O(gates), O(link_cost), O(cost_of_living), O(settle_ok), O(round_trip), O(origin_pos),
        O(abroad), O(banned), O(per_entry), O(window_max), O(window_len), O(visa_days), O(visa_p), O(visa_cost),
        O(visa_holders), O(path_start), O(by_origin), O(path_links), O(path_n_links), O(path_end), O(path_cost), O(entry_key), O(visa_salt),
        O(n_paths), O(n_gates), O(n_links), O(n_cat), O(n_sex), O(n_age), O(day), O(policies), O(fares), O(priced),
        O(route_tries), O(queue_patience), O(seat_patience), O(no_seat_stays),
    };
    for (int64_t k = 0; k < (int64_t)(sizeof v / sizeof v[0]); k++) out[k] = v[k];
    return (int64_t)(sizeof v / sizeof v[0]);
}
#undef O

/* ---- the stay bookkeeping and the entry check (entry.py) --------------------------------------------- */

static inline int64_t window_used_in(const EmCtx *c, int64_t i, int64_t k) {
    int64_t wl = c->window_len[k];
    int same = c->stay_country[i] == k && (wl < 0 || (int64_t)c->day < (int64_t)c->window_start[i] + wl);
    return same ? (int64_t)c->window_used[i] : 0;
}

static inline int64_t stay_end(const EmCtx *c, int64_t k, int64_t used) {
    int64_t day = c->day, out = EM_NEVER;
    int64_t pe = c->per_entry[k], vd = c->visa_days[k], wm = c->window_max[k];
    if (pe >= 0 && day + pe < out) out = day + pe;
    if (!isnan(c->visa_p[k]) && vd >= 0 && day + vd < out) out = day + vd;
    if (wm >= 0 && day + wm - used < out) out = day + wm - used;
    return out;
}

static void on_exit_country(const EmCtx *c, int64_t i, int64_t k) {
    if (c->stay_country[i] != k) return;
    int32_t used = (int32_t)c->window_used[i] + (c->day - c->entry_day[i]);
    c->window_used[i] = (int16_t)(used < I16_MAX ? used : I16_MAX);
    if (c->permit[i] == PERMIT) {
        c->permits[k] -= 1;
        c->permits_ended[k] += 1;
    }
    c->permit[i] = NO_PERMIT;
}

static void on_entry_country(const EmCtx *c, int64_t i, int64_t k) {
    if (!c->abroad[k]) {
        c->stay_country[i] = -1;
        c->allowed_until[i] = EM_NEVER;
        return;
    }
    int64_t wl = c->window_len[k];
    int fresh = c->stay_country[i] != k || (wl >= 0 && (int64_t)c->day >= (int64_t)c->window_start[i] + wl);
    int64_t used = fresh ? 0 : (int64_t)c->window_used[i];
    if (fresh) c->window_start[i] = c->day;
    c->window_used[i] = (int16_t)used;
    c->stay_country[i] = (int8_t)k;
    c->entry_day[i] = c->day;
    c->allowed_until[i] = (int32_t)stay_end(c, k, used);
}

/* An entry of agent i into country k: its first since it left home, if k is abroad and the agent an emigrant (its
 * category not a round trip), is counted in first_arrivals and marked in its entered bits (movement.first_arrivals) */
static inline void first_arrival(const EmCtx *c, int64_t i, int64_t k) {
    if (!c->abroad[k] || c->round_trip[c->category[i]]) return;
    uint64_t bit = (uint64_t)1 << k;
    if (c->entered[i] & bit) return;
    c->entered[i] |= bit;
    c->first_arrivals[k] += 1;
}

/* movement.change_country for one agent (with its stay bookkeeping; lk < 0: not counted on a link) */
static void change_country(const EmCtx *c, int64_t i, int64_t from, int64_t to, int64_t lk) {
    if (from == to) return;
    c->exits[from] += 1;
    c->entries[to] += 1;
    first_arrival(c, i, to);
    c->in_country[to] += 1;
    c->in_country[from] -= 1;
    if (lk >= 0) c->border[lk] += 1;
    on_exit_country(c, i, from);
    on_entry_country(c, i, to);
}

/* an agent's fixed trait in [0, 1): the Weyl sequence over its id from a per-run offset (entry.id_trait) */
static inline double id_trait(double salt, int64_t id, double step) {
    return fmod(salt + (double)id * step, 1.0);
}

/* an agent's fixed visa trait in [0, 1) (entry.holder_trait) */
static inline double holder_trait(const EmCtx *c, int64_t i) {
    return id_trait(c->visa_salt, c->id[i], ROOT2_STEP);
}

/* entry.admit for one agent arriving at the border of country k; its draw is number 2 × lk + site */
static int admit(const EmCtx *c, int64_t i, int64_t k, int64_t lk, int site) {
    if (!c->abroad[k]) return 1;
    if (c->banned[k]) return 0;
    int64_t wm = c->window_max[k];
    if (wm >= 0 && !(window_used_in(c, i, k) < wm)) return 0;
    double vp = c->visa_p[k];
    if (isnan(vp)) return 1;
    double h = c->visa_holders[k];
    if (h < 1 && !(holder_trait(c, i) < h)) return 0; /* holds no visa of k (entry.lacks_visa) */
    double cost = c->visa_cost[k];
    int pay = (double)c->savings[i] >= cost;
    if (pay) c->savings[i] = c->savings[i] - (float)cost;
    double u = counter_uniform(c->entry_key, c->id[i], 2 * lk + site);
    return pay && u < vp;
}

static void refuse(const EmCtx *c, int64_t i, int64_t k) {
    c->state[i] = PLAN;
    c->route[i] = -1;
    c->avoid[i] = (int8_t)k;
    c->refused[k] += 1;
}

/* ---- moving (movement.py) --------------------------------------------------------------------------- */

static inline int32_t next_link(const EmCtx *c, int64_t i) {
    return c->path_links[c->path_start[c->route[i]] + c->hop[i]];
}

static void step_onto(const EmCtx *c, int64_t i, int32_t lk) {
    int32_t here = c->loc[i];
    c->present[here] -= 1;
    c->departures[here] += 1;
    c->on_link[lk] += 1;
    c->link_entries[lk] += 1;
    change_country(c, i, c->country[here], c->link_country[lk], lk);
    if (c->fares) {
        float s = c->savings[i] - (float)c->link_cost[lk];
        c->savings[i] = s < 0.0f ? 0.0f : s;
    }
    c->link[i] = lk;
    c->progress[i] = 0.0f;
    c->hop[i] = (int8_t)(c->hop[i] + 1);
    c->state[i] = MOVING;
}

/* the end of the agent's link; returns 1 if it was refused entry and turned back */
static int arrive(const EmCtx *c, int64_t i) {
    int32_t lk = c->link[i];
    int32_t dst = c->link_dst[lk];
    int64_t from = c->link_country[lk], to = c->country[dst], refused_c = -1;
    if (from != to && c->policies && !admit(c, i, to, lk, ENTRY_ON_ARRIVAL)) {
        refused_c = to;
        dst = c->link_src[lk];
        to = from;
    }
    c->on_link[lk] -= 1;
    c->link_exits[lk] += 1;
    c->present[dst] += 1;
    c->arrivals[dst] += 1;
    change_country(c, i, from, to, lk);
    c->loc[i] = dst;
    c->link[i] = -1;
    c->progress[i] = 0.0f;
    if (refused_c >= 0) refuse(c, i, refused_c);
    return refused_c >= 0;
}

/* the route's next step of an agent at a place; returns 1 if it is now on a link */
static int dispatch(const EmCtx *c, int64_t i) {
    int32_t r = c->route[i];
    if ((int64_t)c->hop[i] >= (int64_t)c->path_n_links[r]) {
        c->state[i] = SETTLED;
        c->avoid[i] = -1;
        c->broke[i] = 0;
        return 0;
    }
    int32_t lk = next_link(c, i);
    if (c->is_air[lk]) {
        c->state[i] = SEAT_WAIT;
        c->since[i] = c->day;
        c->tries[i] = 0;
        c->seat_wait[lk] += 1;
        c->seat_joins[lk] += 1;
        return 0;
    }
    if (c->gated[lk]) {
        c->state[i] = QUEUED;
        c->since[i] = c->day;
        int64_t g = c->gates[2 * (int64_t)c->loc[i] + c->travel_mode[i]];
        c->queue[g] += 1;
        c->joins[g] += 1;
        return 0;
    }
    step_onto(c, i, lk);
    return 1;
}

/* Agent i (at a place, not queued or waiting for a seat) goes home the same day (movement.go_home). */
static void go_home_one(const EmCtx *c, int64_t i) {
    {
        int32_t here = c->loc[i], home = c->home[i];
        c->present[here] -= 1;
        c->departures[here] += 1;
        c->present[home] += 1;
        c->arrivals[home] += 1;
        int64_t from = c->country[here];
        change_country(c, i, from, c->country[home], -1);
        c->returns[from] += 1;
        c->returned_home[home] += 1;
        int64_t cat = c->category[i];
        c->cat_returned[cat] += 1;
        if (!c->round_trip[cat]) c->emigrant_returns[here] += 1;
        if (c->round_trip[cat]) { /* travellers back home are again among the people who may leave */
            int64_t cell = ((c->origin_pos[home] * c->n_cat + cat) * c->n_sex + c->sex[i]) * c->n_age + c->age_band[i];
            c->at_home[cell] += 1;
            c->travellers_back[home] += 1;
        }
        c->loc[i] = home;
        c->state[i] = RETURNED;
        c->route[i] = -1;
        c->avoid[i] = -1;
        c->broke[i] = 0;
        c->stay_country[i] = -1;
        c->allowed_until[i] = EM_NEVER;
    }
}

/* Agents idx[0..n) go home (go_home_one). */
void crossings_em_go_home(const EmCtx *c, const int64_t *idx, int64_t n) {
    for (int64_t k = 0; k < n; k++) go_home_one(c, idx[k]);
}

/* ---- route choice (route_choice.py) ----------------------------------------------------------------- */

/* one path from the candidates [lo, hi) of a group's cumulative weights, or -1 (engine/kernels.sample_paths) */
static inline int64_t sample_path(const double *cdf, int64_t lo, int64_t hi, double u) {
    double base = lo > 0 ? cdf[lo - 1] : 0.0;
    double top = hi > 0 ? cdf[hi - 1] : 0.0;
    double tot = top - base;
    if (!(hi > lo && tot > 0)) return -1;
    double target = base + u * tot;
    int64_t l = lo, h = hi;
    while (l < h) {
        int64_t m = l + (h - l) / 2;
        if (cdf[m] > target) h = m;
        else l = m + 1;
    }
    return l < hi ? l : hi - 1;
}

static inline int affordable(const EmCtx *c, int64_t i, int64_t p) {
    if (!(c->path_cost[p] <= (double)c->savings[i])) return 0;
    if (c->broke[i] > 0) return c->cost_of_living[c->path_end[p]] < c->cost_of_living[c->loc[i]];
    return 1;
}

/* The visa level of an agent: how many of the day's sorted holders shares thr[0..n_thr) its trait reaches
 * (route_choice.HolderLevels.level). */
typedef struct {
    const double *thr;
    int64_t n_thr, stride;
} Levels;

static inline int64_t holder_level(const EmCtx *c, int64_t i, const Levels *lv) {
    if (lv->n_thr == 0) return 0;
    double u = holder_trait(c, i);
    int64_t n = 0;
    for (int64_t j = 0; j < lv->n_thr; j++) n += lv->thr[j] <= u;
    return n;
}

/* The group code of an agent needing a route (route_choice.group_codes): travel mode, no flight first, the
 * country it avoids, its category if categories weigh destinations differently (cat_stride > 0), its visa level
 * if some visa is held by a share of people only (lv->stride > 0). */
static inline int64_t group_code(const EmCtx *c, int64_t i, int64_t n_c, int64_t cat_stride, const Levels *lv) {
    int64_t code = ((int64_t)c->travel_mode[i] * 2 + (c->state[i] == PLAN_NO_AIR)) * n_c + c->avoid[i] + 1;
    code += (int64_t)c->category[i] * cat_stride;
    return lv->stride ? code + holder_level(c, i, lv) * lv->stride : code;
}

/* Every agent needing a route (state plan or plan_no_air), in row order, draws a path from its group's row
 * lut[code] of ``stack`` (n_paths cumulative weights per row): draw t uses number t; the first affordable one
 * is taken, up to route_tries draws (one if nothing is priced). Those left without a path who must leave where
 * they are (abroad, with their stay run out or broke) are handed back to go home: their rows are written to
 * out[] (which holds n_rows) and their number is returned. If some agent's group has no row yet, nothing is
 * changed: the codes of such agents are written to out[] and minus their number is returned. */
int64_t crossings_em_route_choice(const EmCtx *c, int64_t n_rows, const int32_t *lut, int64_t n_c,
                                  int64_t cat_stride, const double *stack, uint64_t dkey, int64_t *out,
                                  const double *thr, int64_t n_thr, int64_t level_stride) {
    Levels lv = {thr, n_thr, level_stride};
    int64_t m = rows_in_state(c->state, n_rows, PLAN_NO_AIR, 1, out);
    int64_t n_missing = 0;
    for (int64_t k = 0; k < m; k++) {
        int64_t code = group_code(c, out[k], n_c, cat_stride, &lv);
        if (lut[code] < 0) out[n_missing++] = code;
    }
    if (n_missing) return -n_missing;
    int64_t n_home = 0;
    int tries = c->priced ? c->route_tries : 1;
    for (int64_t k = 0; k < m; k++) {
        int64_t i = out[k];
        const double *cdf = stack + (int64_t)lut[group_code(c, i, n_c, cat_stride, &lv)] * c->n_paths;
        int64_t x = c->loc[i], lo = c->by_origin[x], hi = c->by_origin[x + 1], pid = -1;
        for (int t = 0; t < tries; t++) {
            int64_t p = sample_path(cdf, lo, hi, counter_uniform(dkey, c->id[i], t));
            if (p < 0) break;
            if (!c->priced || affordable(c, i, p)) {
                pid = p;
                break;
            }
        }
        if (pid >= 0) {
            c->route[i] = (int32_t)pid;
            c->hop[i] = 0;
            c->state[i] = MOVING;
        } else if (c->abroad[c->country[x]] && (c->allowed_until[i] <= c->day || c->broke[i] > 0)) {
            out[n_home++] = i; /* n_home <= k: rows still to visit are not overwritten */
        }
    }
    return n_home;
}

/* ---- travel (travel.py) ----------------------------------------------------------------------------- */

/* One day of travel time for agent i, on its link (after dispatch): arrivals, and onward steps the same day. */
static void travel_day(const EmCtx *c, int64_t i) {
    double budget = 1.0;
    for (int steps = 0; steps < EM_MAX_CHAIN; steps++) {
        double need = c->link_days[c->link[i]] - (double)c->progress[i];
        if (!(need <= budget + EM_EPS)) {
            c->progress[i] = (float)((double)c->progress[i] + budget);
            return;
        }
        double left = budget - (need > 0.0 ? need : 0.0);
        if (arrive(c, i)) return;
        if (!(dispatch(c, i) && left > EM_EPS)) return;
        budget = left;
    }
}

/* Agents holding a route take its next step, then travel; rows in order (``rows``: work space for n). */
void crossings_em_travel(const EmCtx *c, int64_t n, int64_t *rows) {
    int64_t m = rows_in_state(c->state, n, MOVING, 0, rows);
    for (int64_t k = 0; k < m; k++) {
        int64_t i = rows[k];
        if (c->link[i] < 0 && !dispatch(c, i)) continue;
        travel_day(c, i);
    }
}

/* ---- serving queues in arrival order (border_queues.py, flights.py) --------------------------------- */

typedef struct {
    int64_t group, since, id, pos;
} Waiter;

static int by_arrival(const void *pa, const void *pb) {
    const Waiter *a = pa, *b = pb;
    if (a->group != b->group) return a->group < b->group ? -1 : 1;
    if (a->since != b->since) return a->since < b->since ? -1 : 1;
    return (a->id > b->id) - (a->id < b->id);
}

/* Stable counting sort of w[0..m) by key(w) in [0, range): out receives them in order. */
static int counting_pass(const Waiter *w, Waiter *out, int64_t m, int64_t range, int by_group, int64_t lo) {
    int64_t *start = calloc((size_t)range + 1, sizeof(int64_t));
    if (!start) return -1;
    for (int64_t j = 0; j < m; j++) start[(by_group ? w[j].group : w[j].since - lo) + 1] += 1;
    for (int64_t k = 0; k < range; k++) start[k + 1] += start[k];
    for (int64_t j = 0; j < m; j++) out[start[by_group ? w[j].group : w[j].since - lo]++] = w[j];
    free(start);
    return 0;
}

/* Sort w[0..m) by (group, since, id). Waiters are collected in row order, which is id order (state.py), so
 * two stable counting sorts (by since, then by group) do it in O(m + days + groups); qsort otherwise. */
static int order_by_arrival(Waiter *w, int64_t m, int64_t n_groups) {
    int64_t lo = w[0].since, hi = w[0].since, ids_rise = 1;
    for (int64_t j = 1; j < m; j++) {
        if (w[j].since < lo) lo = w[j].since;
        if (w[j].since > hi) hi = w[j].since;
        ids_rise &= w[j].id > w[j - 1].id;
    }
    if (!ids_rise || hi - lo > 4 * m + 1024) {
        qsort(w, (size_t)m, sizeof(Waiter), by_arrival);
        return 0;
    }
    Waiter *tmp = malloc((size_t)m * sizeof(Waiter));
    if (!tmp) return -1;
    int rc = counting_pass(w, tmp, m, hi - lo + 1, 0, lo);
    if (rc == 0) rc = counting_pass(tmp, w, m, n_groups, 1, 0);
    free(tmp);
    return rc;
}

/* served[k] = 1 for the first limit[g] waiters of each group g by (since, id); everyone where limit < 0 or the
 * group has no more waiters than its limit (first_in_groups). Returns 0, or -1 if memory ran out. */
static int serve(const EmCtx *c, const int64_t *rows, const int64_t *group, int64_t n, const int64_t *limit,
                 int64_t n_groups, uint8_t *served) {
    int64_t *count = calloc((size_t)(n_groups > 0 ? n_groups : 1), sizeof(int64_t));
    if (!count) return -1;
    for (int64_t k = 0; k < n; k++) count[group[k]] += 1;
    int64_t n_over = 0;
    for (int64_t k = 0; k < n; k++) {
        int64_t lim = limit[group[k]];
        served[k] = lim < 0 || count[group[k]] <= lim;
        if (!served[k] && lim > 0) n_over++;
    }
    free(count);
    if (n_over == 0) return 0;
    Waiter *w = malloc((size_t)n_over * sizeof(Waiter));
    if (!w) return -1;
    int64_t m = 0;
    for (int64_t k = 0; k < n; k++) {
        if (!served[k] && limit[group[k]] > 0) {
            w[m].group = group[k];
            w[m].since = c->since[rows[k]];
            w[m].id = c->id[rows[k]];
            w[m].pos = k;
            m++;
        }
    }
    int rc = order_by_arrival(w, n_over, n_groups);
    for (int64_t j = 0, first = 0; rc == 0 && j < n_over; j++) {
        if (j > 0 && w[j].group != w[j - 1].group) first = j;
        if (j - first < limit[w[j].group]) served[w[j].pos] = 1;
    }
    free(w);
    return rc;
}

/* The waiting (state == s) rows in order, written to rows[] (room for n_rows), their group (gate, or next
 * link) and space for the served flags; returns their number, or -1 if memory ran out. */
static int64_t waiters(const EmCtx *c, int64_t n_rows, int s, int64_t *rows, int64_t **group, uint8_t **served) {
    int64_t m = rows_in_state(c->state, n_rows, s, 0, rows);
    if (m == 0) return 0;
    *group = malloc((size_t)m * sizeof(int64_t));
    *served = malloc((size_t)m);
    if (!*group || !*served) {
        free(*group), free(*served);
        return -1;
    }
    for (int64_t k = 0; k < m; k++) {
        int64_t i = rows[k];
        (*group)[k] = s == QUEUED ? c->gates[2 * (int64_t)c->loc[i] + c->travel_mode[i]] : next_link(c, i);
    }
    return m;
}

/* The waiters in state s (rows[], their groups and whether each is served today, up to limit[group] of n_groups);
 * returns their number (0: none), or -1 (no memory; nothing allocated is left). */
static int64_t served_waiters(const EmCtx *c, int64_t n_rows, int s, int64_t *rows, const int64_t *limit,
                              int64_t n_groups, int64_t **group, uint8_t **served) {
    int64_t n = waiters(c, n_rows, s, rows, group, served);
    if (n <= 0) return n;
    if (serve(c, rows, *group, n, limit, n_groups, *served) != 0) {
        free(*group), free(*served);
        return -1;
    }
    return n;
}

static void pass_crossing(const EmCtx *c, int64_t i, int64_t g) {
    int64_t wait = (int64_t)c->day - c->since[i];
    int64_t total = (int64_t)c->wait_days[i] + wait;
    c->wait_days[i] = (int16_t)(total < I16_MAX ? total : I16_MAX);
    int32_t lk = next_link(c, i);
    if (c->policies) {
        int64_t k = c->link_country[lk];
        if (!admit(c, i, k, lk, ENTRY_AT_CROSSING)) {
            c->queue[g] -= 1;
            c->turned_back[g] += 1;
            refuse(c, i, k);
            return;
        }
    }
    c->queue[g] -= 1;
    c->passages[g] += 1;
    c->wait_sum[g] += wait;
    step_onto(c, i, lk);
}

/* Each waiter in state s (see served_waiters) is handled by on_served or on_left (row, group); returns 0, or -1
 * (no memory). */
typedef void (*WaiterFn)(const EmCtx *c, int64_t i, int64_t group);

static int64_t each_waiter(const EmCtx *c, int64_t n_rows, int s, int64_t *rows, const int64_t *limit,
                           int64_t n_groups, WaiterFn on_served, WaiterFn on_left) {
    int64_t *group = NULL;
    uint8_t *served = NULL;
    int64_t n = served_waiters(c, n_rows, s, rows, limit, n_groups, &group, &served);
    if (n <= 0) return n;
    for (int64_t k = 0; k < n; k++) (served[k] ? on_served : on_left)(c, rows[k], group[k]);
    free(group), free(served);
    return 0;
}

/* one more day in gate g's queue: with queue_patience > 0, an agent who has waited that many days gives up and
 * re-plans on routes avoiding the country beyond the crossing (it does not join the back of the same queue) */
static void queue_wait(const EmCtx *c, int64_t i, int64_t g) {
    int64_t waited = (int64_t)c->day - c->since[i] + 1;
    if (c->queue_patience > 0 && waited >= c->queue_patience) {
        int64_t total = (int64_t)c->wait_days[i] + waited;
        c->wait_days[i] = (int16_t)(total < I16_MAX ? total : I16_MAX);
        c->queue[g] -= 1;
        c->gave_up[g] += 1;
        c->avoid[i] = (int8_t)c->link_country[next_link(c, i)]; /* re-plans away from the country beyond */
        c->state[i] = PLAN;
        c->route[i] = -1;
    }
}

/* The first gate_cap[g] (today's capacity) of each gate's queue pass (the entry check of the country beyond,
 * then the road); with queue_patience > 0 the others who have waited that many days give up. Returns 0, or -1
 * (no memory). */
int64_t crossings_em_border_queues(const EmCtx *c, int64_t n_rows, const int64_t *gate_cap, int64_t *rows) {
    return each_waiter(c, n_rows, QUEUED, rows, gate_cap, c->n_gates, pass_crossing, queue_wait);
}

static void board(const EmCtx *c, int64_t i, int64_t l) {
    c->seat_wait[l] -= 1;
    c->boarded[l] += 1;
    step_onto(c, i, (int32_t)l);
}

/* no seat today on flight l: after seat_patience days the agent gives up (and stays, with no_seat_stays, where it
 * may settle) */
static void seat_miss(const EmCtx *c, int64_t i, int64_t l) {
    c->tries[i] = (int16_t)(c->tries[i] + 1);
    c->missed_seat[l] += 1;
    if (c->tries[i] >= c->seat_patience) {
        c->seat_wait[l] -= 1;
        c->seat_gave_up[l] += 1;
        c->state[i] = PLAN_NO_AIR;
        c->route[i] = -1;
        if (c->no_seat_stays && c->settle_ok[c->loc[i]] && c->allowed_until[i] > c->day && c->broke[i] == 0) {
            c->state[i] = SETTLED;
            c->avoid[i] = -1;
        }
    }
}

/* Seat waiters board their route's next flight, up to seats[link] today (0 while closed, -1 unlimited), by
 * (since, id); the others try again tomorrow, and give up after seat_patience days. Returns 0, or -1 (no
 * memory). */
int64_t crossings_em_flights(const EmCtx *c, int64_t n_rows, const int64_t *seats, int64_t *rows) {
    return each_waiter(c, n_rows, SEAT_WAIT, rows, seats, c->n_links, board, seat_miss);
}

/* ---- event clocks, money, onward moves, returns, the tally ------------------------------------------------
 * These rules draw from sequential NumPy streams (Generator.random, standard_exponential), so the kernels do the
 * scans and the bookkeeping and leave the draws to Python: a kernel returns the rows that need draws, in row
 * order (the order the NumPy twin draws for them), and the next kernel takes the draws. */


/* clocks.next_days for one draw: day + 1 + floor(e × scale), NEVER when later or undefined (0 × inf) */
static inline int32_t next_day(double e, double scale, int64_t day) {
    double x = e * scale;
    x = floor(x);
    x += (double)(day + 1);
    x = fmin(x, (double)EM_NEVER);
    return (int32_t)(int64_t)x;
}

/* money.Money.step's daily pass: each row's net cost worked out again where it came to another place, savings
 * less the net cost (never below 0); the rows broke today (savings 0, net cost > 0, settled abroad) into rows[],
 * counted per country in broke[]. */
int64_t crossings_em_money(const EmCtx *c, int64_t n, const float *col, float per_day, const float *remote_income,
                           float *net_cost, int32_t *cost_loc, int64_t *rows, int64_t *broke) {
    int64_t came = rows_ne(c->loc, cost_loc, n, rows);
    for (int64_t k = 0; k < came; k++) {
        int64_t i = rows[k];
        int32_t l = c->loc[i];
        cost_loc[i] = l;
        float net = col[l] - remote_income[i] * per_day;
        net_cost[i] = c->state[i] == RETURNED ? 0.0f : net;
    }
    int64_t m = 0;
    float *savings = c->savings;
    for (int64_t b = 0; b < n; b += EM_BLOCK) {
        int64_t e = b + EM_BLOCK < n ? b + EM_BLOCK : n;
        int any = 0;
#ifdef __SSE2__
        if (e - b == EM_BLOCK) { /* four rows at a time: s ≤ 0 (a mask) → +0, else s (NaN kept) */
            const __m128 zero = _mm_setzero_ps();
            __m128 hit = zero;
            for (int64_t i = b; i < e; i += 4) {
                __m128 nc = _mm_loadu_ps(net_cost + i);
                __m128 s = _mm_sub_ps(_mm_loadu_ps(savings + i), nc);
                s = _mm_andnot_ps(_mm_cmple_ps(s, zero), s);
                _mm_storeu_ps(savings + i, s);
                hit = _mm_or_ps(hit, _mm_and_ps(_mm_cmple_ps(s, zero), _mm_cmpgt_ps(nc, zero)));
            }
            any = _mm_movemask_ps(hit);
        } else
#endif
        {
            for (int64_t i = b; i < e; i++) {
                float s = savings[i] - net_cost[i];
                s = s <= 0.0f ? 0.0f : s; /* np.maximum(s, 0): +0 for ±0 and below, NaN kept */
                savings[i] = s;
                any |= (s <= 0.0f) & (net_cost[i] > 0.0f);
            }
        }
        if (!any) continue;
        for (int64_t i = b; i < e; i++) {
            if (!(savings[i] <= 0.0f && net_cost[i] > 0.0f && c->state[i] == SETTLED)) continue;
            int64_t ct = c->country[c->loc[i]];
            if (!c->abroad[ct]) continue;
            rows[m++] = i;
            broke[ct] += 1;
        }
    }
    return m;
}

/* money: the broke rows[0..m) with uniforms u[]: below cheaper_share it looks for a cheaper place (re-plans with
 * broke = 1), else it goes home. */
void crossings_em_money_broke(const EmCtx *c, const int64_t *rows, int64_t m, const double *u, double cheaper_share) {
    for (int64_t k = 0; k < m; k++) {
        int64_t i = rows[k];
        if (u[k] < cheaper_share) {
            c->state[i] = PLAN;
            c->route[i] = -1;
            c->broke[i] = 1;
        } else {
            go_home_one(c, i);
        }
    }
}

/* onward.Onward.step, rows that came to another place: the clock's place is set, its day cleared, and the rows at a
 * transit place (h > 0) written to rows[] (they draw a new day). */
int64_t crossings_em_onward_came(const EmCtx *c, int64_t n, int32_t *onward_loc, int32_t *onward_day,
                                 const double *h, int64_t *rows) {
    int64_t came = rows_ne(c->loc, onward_loc, n, rows), m = 0;
    for (int64_t k = 0; k < came; k++) {
        int64_t i = rows[k];
        int32_t l = c->loc[i];
        onward_loc[i] = l;
        onward_day[i] = EM_NEVER;
        rows[m] = i;
        m += h[l] > 0;
    }
    return m;
}

/* onward: the next day of rows[0..m) from exponential draws e[] at their place's gap scale, after day */
void crossings_em_onward_set(const EmCtx *c, const int64_t *rows, int64_t m, const double *e, const double *scale,
                             int32_t *onward_day, int64_t day) {
    for (int64_t k = 0; k < m; k++) onward_day[rows[k]] = next_day(e[k], scale[c->loc[rows[k]]], day);
}

/* onward: rows whose day is today: their day cleared (rows at a transit place into rows[], to draw again), and
 * the settled ones (within transit_days of their entry if window > 0) start moving on, counted per country. */
int64_t crossings_em_onward_due(const EmCtx *c, int64_t n, int32_t *onward_day, const double *h, int64_t window,
                                int64_t *onward, int64_t *rows) {
    int64_t day = c->day, due = rows_eq(onward_day, (int32_t)day, n, rows), m = 0;
    for (int64_t k = 0; k < due; k++) {
        int64_t i = rows[k];
        int32_t l = c->loc[i];
        onward_day[i] = EM_NEVER;
        rows[m] = i;
        m += h[l] > 0;
        if (c->state[i] != SETTLED || (window > 0 && !(day - (int64_t)c->entry_day[i] < window))) continue;
        int32_t ct = c->country[l];
        c->state[i] = PLAN;
        c->route[i] = -1;
        c->avoid[i] = (int8_t)ct;
        onward[ct] += 1;
    }
    return m;
}

/* returns.Returns.step, the scan: rows whose test day has come (return_day <= day) into due[]; of those tested
 * today, returned rows never again, settled ones into settled[] (they draw). Returns the number due; *n_settled. */
int64_t crossings_em_returns_due(const EmCtx *c, int64_t n, int32_t *return_day, int64_t *due, int64_t *settled,
                                 int64_t *n_settled) {
    int64_t s = 0, day = c->day, m = rows_le(return_day, (int32_t)day, n, due);
    for (int64_t k = 0; k < m; k++) {
        int64_t i = due[k];
        if (return_day[i] != day) continue;
        if (c->state[i] == RETURNED) return_day[i] = EM_NEVER;
        else if (c->state[i] == SETTLED) settled[s++] = i;
    }
    *n_settled = s;
    return m;
}

/* returns: the settled rows tested today with uniforms u[] go home if u × bound < hazard (Returns.passed); then
 * due[] is kept to the rows still due (returns the count): those draw their next test day. */
int64_t crossings_em_returns_pass(const EmCtx *c, const int64_t *settled, int64_t n_s, const double *u,
                                  const int32_t *group, const float *remote_income, const double *hm,
                                  const double *top, const double *place, double low, double days_low,
                                  double per_day, int32_t *return_day, int64_t *due, int64_t n_due) {
    for (int64_t k = 0; k < n_s; k++) {
        int64_t i = settled[k];
        int32_t g = group[i], l = c->loc[i];
        double p = hm[g];
        if (place) p = p * place[l];
        if (low != 1.0) {
            double net = c->cost_of_living[l] - (double)remote_income[i] / per_day;
            if (net > 0 && (double)c->savings[i] < days_low * net) p = p * low;
        }
        if (u[k] * top[g] < p) {
            go_home_one(c, i);
            return_day[i] = EM_NEVER;
        }
    }
    int64_t m = 0;
    for (int64_t k = 0; k < n_due; k++) {
        due[m] = due[k];
        m += return_day[due[k]] <= c->day;
    }
    return m;
}

/* returns: the next test day of rows[0..m) from exponential draws e[] at their subgroup's gap scale, after day;
 * a row's subgroup (origin position × category × sex × age band) worked out on its first draw */
void crossings_em_returns_set(const EmCtx *c, const int64_t *rows, int64_t m, const double *e, const double *scale,
                              const int64_t *pos, const int64_t *shape, int32_t *group, int32_t *return_day,
                              int64_t day) {
    for (int64_t k = 0; k < m; k++) {
        int64_t i = rows[k];
        if (group[i] < 0)
            group[i] = (int32_t)(((pos[c->home[i]] * shape[1] + c->category[i]) * shape[2] + c->sex[i]) * shape[3]
                                 + c->age_band[i]);
        return_day[i] = next_day(e[k], scale[group[i]], day);
    }
}

/* counters.Tally.sync: rows whose place, link or entry day differ from the tally's copies are counted again
 * (emigrants per country; the calendar of stays by entry day and country, and registered stays); returns how
 * many changed. reg_used may be NULL (registered stays not counted yet). */
static inline int64_t counted_country(const EmCtx *c, int32_t loc, int32_t link) {
    return link >= 0 ? c->link_country[link] : c->country[loc > 0 ? loc : 0];
}

int64_t crossings_em_tally(const EmCtx *c, int64_t n, int32_t *seen_loc, int32_t *seen_link, int32_t *seen_entry,
                           int8_t *seen_stay, const uint8_t *emigrant, int64_t *emigrants, int64_t *calendar,
                           int64_t n_c, const int64_t *reg_used, int64_t last_day, int64_t *registered,
                           int64_t *rows) {
    int64_t changed = rows_ne3(c->loc, seen_loc, c->link, seen_link, c->entry_day, seen_entry, n, rows);
    for (int64_t k = 0; k < changed; k++) {
        int64_t i = rows[k];
        int32_t l = c->loc[i], lk = c->link[i], e = c->entry_day[i];
        if (emigrant[c->category[i]]) {
            if (seen_loc[i] >= 0) emigrants[counted_country(c, seen_loc[i], seen_link[i])] -= 1;
            if (c->state[i] != RETURNED) emigrants[counted_country(c, l, lk)] += 1;
        }
        int64_t old_c = seen_stay[i], old_e = seen_entry[i], new_c = c->stay_country[i];
        if (old_c != new_c || old_e != e) {
            if (old_c >= 0) {
                calendar[old_e * n_c + old_c] -= 1;
                if (reg_used) {
                    int64_t reg = reg_used[old_c];
                    if (reg >= 0 && last_day - old_e >= reg) registered[old_c] -= 1;
                }
            }
            if (new_c >= 0) calendar[(int64_t)e * n_c + new_c] += 1;
        }
        seen_entry[i] = e;
        seen_stay[i] = (int8_t)new_c;
        seen_loc[i] = l;
        seen_link[i] = lk;
    }
    return changed;
}

/* ---- stays that run out (stays.StayLimits) ----------------------------------------------------------------
 * The rule's own arrays come as one array of addresses, in the order of kernels_c.STAY_ARRAYS. */
enum { SA_PERMIT_DAY, SA_PERMIT_P, SA_PERMIT_WAIT, SA_PERMIT_COST, SA_PERMIT_W, SA_PERMIT_ELIG, SA_VISA_RUN_W,
       SA_PERMIT_DAYS, SA_VISA_RUN_LINK, SA_OK, SA_COST, SA_LEAVES, SA_WEIGHTS, SA_OVERSTAYS, SA_VISA_RUNS,
       SA_APPLICATIONS, SA_GRANTED, SA_PERMITS_REFUSED, SA_N };
enum { PENDING_YES = 1, PENDING_NO = 2, PERMIT_REFUSED = 4 };
enum { VISA_RUN, APPLY, MOVE_ON, GO_HOME };
#define GOLDEN 0.6180339887498949

/* StayLimits.decide for one row whose decision day is today */
static void decide_permit(const EmCtx *c, void *const *sa, int64_t i) {
    int8_t p = c->permit[i];
    if (p != PENDING_YES && p != PENDING_NO) return;
    int64_t k = c->stay_country[i], day = c->day;
    if (p == PENDING_YES) {
        int64_t d = ((const int64_t *)sa[SA_PERMIT_DAYS])[k];
        c->permit[i] = PERMIT;
        c->allowed_until[i] = (int32_t)(d >= 0 ? (day + d < EM_NEVER ? day + d : EM_NEVER) : EM_NEVER);
        c->permits[k] += 1;
        ((int64_t *)sa[SA_GRANTED])[k] += 1;
    } else {
        c->permit[i] = PERMIT_REFUSED;
        c->allowed_until[i] = (int32_t)day;
        ((int64_t *)sa[SA_PERMITS_REFUSED])[k] += 1;
    }
}

/* StayLimits.step up to the draws: permits decided today (with permits_on), then the settled rows whose stay
 * ran out into rows[] (counted as overstays; an expired permit ends). Returns their number. */
int64_t crossings_em_stays_scan(const EmCtx *c, int64_t n, void *const *sa, int64_t permits_on, int64_t *rows) {
    int64_t day = c->day;
    const int32_t *permit_day = sa[SA_PERMIT_DAY];
    int64_t *overstays = sa[SA_OVERSTAYS];
    if (permits_on) { /* decided first: a refusal ends the stay today */
        int64_t due = rows_eq(permit_day, (int32_t)day, n, rows);
        for (int64_t k = 0; k < due; k++) decide_permit(c, sa, rows[k]);
    }
    int64_t over = rows_le(c->allowed_until, (int32_t)day, n, rows), m = 0;
    for (int64_t k = 0; k < over; k++) {
        int64_t i = rows[k];
        if (c->state[i] != SETTLED) continue;
        rows[m++] = i;
        int64_t ct = c->country[c->loc[i]];
        overstays[ct] += 1;
        if (c->permit[i] == PERMIT) {
            c->permits[ct] -= 1;
            c->permits_ended[ct] += 1;
            c->permit[i] = NO_PERMIT;
        }
    }
    return m;
}

/* StayLimits.pick and choose for rows[0..m) with uniforms u[]: the option each takes (∝ the weights of those open
 * to it), then visa runs, fees paid for applications, moves on and going home; the applicants are written to
 * rows[] in order (returns their number: they draw whether their permit will be granted). */
int64_t crossings_em_stays_choose(const EmCtx *c, int64_t *rows, int64_t m, const double *u, void *const *sa,
                                  double salt) {
    const double *permit_p = sa[SA_PERMIT_P], *permit_cost = sa[SA_PERMIT_COST], *permit_w = sa[SA_PERMIT_W];
    const double *permit_elig = sa[SA_PERMIT_ELIG], *visa_run_w = sa[SA_VISA_RUN_W], *cost = sa[SA_COST];
    const double *weights = sa[SA_WEIGHTS];
    const int64_t *visa_run_link = sa[SA_VISA_RUN_LINK];
    const uint8_t *ok = sa[SA_OK], *leaves = sa[SA_LEAVES];
    int64_t *visa_runs = sa[SA_VISA_RUNS], *applications = sa[SA_APPLICATIONS];
    int64_t day = c->day, n_ap = 0;
    for (int64_t k = 0; k < m; k++) {
        int64_t i = rows[k];
        int32_t l = c->loc[i];
        int64_t ct = c->country[l];
        double savings = (double)c->savings[i];
        int64_t used_after = window_used_in(c, i, ct) + (day - (int64_t)c->entry_day[i]);
        int64_t wl = c->window_len[ct], wm = c->window_max[ct];
        int restart = wl >= 0 && day >= (int64_t)c->window_start[i] + wl;
        int room = wm < 0 || (restart ? 0 : used_after) < wm;
        int apply = !isnan(permit_p[ct]) && c->permit[i] != PERMIT_REFUSED && savings >= permit_cost[ct];
        if (permit_elig[ct] < 1) {
            double t = id_trait(salt, c->id[i], GOLDEN); /* by id: rows shift when the table drops */
            apply = apply && t < permit_elig[ct];
        }
        double w0 = ok[l] && room && savings >= cost[l] ? weights[VISA_RUN] : 0.0;
        double w1 = apply ? weights[APPLY] : 0.0;
        double w2 = leaves[l] ? weights[MOVE_ON] : 0.0;
        double w3 = weights[GO_HOME];
        w1 *= permit_w[ct];
        w0 *= visa_run_w[ct];
        if (w0 + w1 + w2 + w3 == 0) w3 = 1.0; /* weights are non-negative: the sum is 0 only if each is */
        double c0 = w0, c1 = c0 + w1, c2 = c1 + w2, c3 = c2 + w3;
        double x = u[k] * c3;
        int pick = (x >= c0) + (x >= c1) + (x >= c2) + (x >= c3);
        if (pick > GO_HOME) pick = GO_HOME;
        if (pick == VISA_RUN) { /* out over the border link and back in the same day */
            int64_t lk = visa_run_link[l];
            int64_t nb = c->country[c->link_dst[lk]];
            float s = c->savings[i] - (float)cost[l];
            c->savings[i] = (s > 0.0f || isnan(s)) ? s : 0.0f;
            c->entries[ct] += 1;
            c->exits[ct] += 1;
            c->entries[nb] += 1;
            c->exits[nb] += 1;
            first_arrival(c, i, nb);
            c->border[lk] += 1;
            c->border[lk ^ 1] += 1;
            visa_runs[ct] += 1;
            on_exit_country(c, i, ct);
            on_entry_country(c, i, ct);
        } else if (pick == APPLY) {
            float s = c->savings[i] - (float)permit_cost[ct];
            c->savings[i] = (s > 0.0f || isnan(s)) ? s : 0.0f;
            applications[ct] += 1;
            rows[n_ap++] = i;
        } else if (pick == MOVE_ON) {
            c->state[i] = PLAN;
            c->route[i] = -1;
            c->avoid[i] = (int8_t)ct;
        } else {
            go_home_one(c, i);
        }
    }
    return n_ap;
}

/* The applicants rows[0..m) with uniforms u[]: pending (granted if u < permit_p), decided on day + waiting_days;
 * those with no waiting time are decided today (with permits_on). */
void crossings_em_stays_apply(const EmCtx *c, const int64_t *rows, int64_t m, const double *u, void *const *sa,
                              int64_t permits_on) {
    const double *permit_p = sa[SA_PERMIT_P];
    const int64_t *permit_wait = sa[SA_PERMIT_WAIT];
    int32_t *permit_day = sa[SA_PERMIT_DAY];
    int64_t day = c->day;
    for (int64_t k = 0; k < m; k++) {
        int64_t i = rows[k];
        int64_t ct = c->country[c->loc[i]];
        c->permit[i] = u[k] < permit_p[ct] ? PENDING_YES : PENDING_NO;
        permit_day[i] = (int32_t)(day + permit_wait[ct]);
        c->allowed_until[i] = (int32_t)(day + permit_wait[ct]);
    }
    if (permits_on)
        for (int64_t k = 0; k < m; k++)
            if (permit_day[rows[k]] == day) decide_permit(c, sa, rows[k]);
}

/* ---- recording -------------------------------------------------------------------------------------------- */

/* Row `day` of each target array (rows of size[k] bytes, contiguous) set to its source: dst[k] + day × size[k]. */
void crossings_copy_rows(int64_t n, int64_t day, const int64_t *src, const int64_t *dst, const int64_t *size) {
    for (int64_t k = 0; k < n; k++)
        memcpy((char *)(intptr_t)dst[k] + day * size[k], (const char *)(intptr_t)src[k], (size_t)size[k]);
}

/* ---- departures (departures.Departures.add) ---------------------------------------------------------------
 * The leavers' new rows [first, first + m): cell[k] is the subgroup (origin position, category, sex, age band;
 * flat over shape[4]) of the k-th, mode/savings/income its drawn attributes; each is counted where it appears.
 * The arrays come as one array of addresses, in the order of kernels_c.DEPARTURE_ARRAYS. */
enum { DA_ORIGINS, DA_LEFT_DAY, DA_REMOTE_INCOME, DA_SPAWNED, DA_LEFT_HOME, DA_CAT_LEFT, DA_N };

void crossings_em_departures_add(const EmCtx *c, int64_t first, int64_t m, const int64_t *cell, const int64_t *shape,
                                 const int64_t *mode, const float *savings, const float *income, void *const *da) {
    const int32_t *origins = da[DA_ORIGINS];
    int32_t *left_day = da[DA_LEFT_DAY];
    float *remote_income = da[DA_REMOTE_INCOME];
    int64_t *spawned = da[DA_SPAWNED], *left_home = da[DA_LEFT_HOME], *cat_left = da[DA_CAT_LEFT];
    for (int64_t k = 0; k < m; k++) {
        int64_t i = first + k, x = cell[k];
        int64_t g = x % shape[3];
        x /= shape[3];
        int64_t s = x % shape[2];
        x /= shape[2];
        int64_t cat = x % shape[1];
        int64_t o = x / shape[1];
        int32_t where = origins[o];
        c->loc[i] = where;
        c->home[i] = where;
        left_day[i] = c->day;
        c->state[i] = PLAN;
        c->category[i] = (int8_t)cat;
        c->sex[i] = (int8_t)s;
        c->age_band[i] = (int8_t)g;
        c->travel_mode[i] = (int8_t)mode[k];
        c->savings[i] = savings[k];
        remote_income[i] = income[k];
        c->present[where] += 1;
        spawned[where] += 1;
        int64_t ct = c->country[where];
        c->in_country[ct] += 1;
        left_home[ct] += 1;
        cat_left[cat] += 1;
    }
}

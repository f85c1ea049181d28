def prime_sieve(limit: int) -> list[int]:
    """All primes up to and including ``limit``, by the sieve of Eratosthenes."""
    if limit < 2:
        return []
    is_prime = [True] * (limit + 1)
    is_prime[0] = is_prime[1] = False
    candidate = 2
    while candidate * candidate <= limit:
        if is_prime[candidate]:
            for multiple in range(candidate * candidate, limit + 1, candidate):
                is_prime[multiple] = False
        candidate += 1
    return [number for number, prime in enumerate(is_prime) if prime]

# --- tests ---
assert prime_sieve(1) == []
assert prime_sieve(2) == [2]
assert prime_sieve(30) == [2, 3, 5, 7, 11, 13, 17, 19, 23, 29]
assert len(prime_sieve(1000)) == 168

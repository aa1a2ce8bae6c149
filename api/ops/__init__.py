"""Operations helpers: throwaway Redis and nginx, the multi-replica cluster on loopback, the scale bench."""

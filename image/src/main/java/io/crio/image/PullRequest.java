package io.crio.image;

/** What to pull, with which credentials, for which platform. */
public record PullRequest(String image, Credentials credentials, PlatformMatcher platform) {}

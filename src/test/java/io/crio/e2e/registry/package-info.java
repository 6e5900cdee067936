/**
 * End-to-end test support for image pulls: a real registry on 127.0.0.1 and fixture images to put in it.
 *
 * <ul>
 * <li>{@link io.crio.e2e.registry.RegistryServer}: Debian's docker-registry as a child process on a random
 *     port, open or behind Basic (bcrypt htpasswd, see {@code BCrypt}) or token auth
 *     ({@link io.crio.e2e.registry.TokenServer}, RS256 JWTs).</li>
 * <li>{@link io.crio.e2e.registry.RegistryPusher}: pushes blobs and manifests, answers Basic and Bearer
 *     challenges, mounts blobs across repositories.</li>
 * <li>{@link io.crio.e2e.registry.FixtureImages}: busybox-based fixtures (single/multi layer, Docker schema
 *     2, indexes, zstd, malicious, bad digests, large); {@link io.crio.e2e.registry.ImageBuilder} and
 *     {@link io.crio.e2e.registry.TarLayerBuilder} for custom ones. Each returns a
 *     {@link io.crio.e2e.registry.PushedImage} (or {@link io.crio.e2e.registry.MaliciousImage}).</li>
 * <li>{@link io.crio.e2e.registry.CorruptingProxy}: serves chosen blobs with wrong bytes.</li>
 * <li>{@link io.crio.e2e.registry.Skopeo}: an independent client for cross-checks.</li>
 * </ul>
 *
 * <p>Pulling clients must send an {@code Accept} header listing the types they take: docker-registry 2.8
 * answers a manifest GET for an OCI manifest or index that the client does not accept with 404
 * {@code MANIFEST_UNKNOWN}, and converts a Docker schema 2 manifest to signed schema 1 for a client that
 * does not accept schema 2.
 */
package io.crio.e2e.registry;

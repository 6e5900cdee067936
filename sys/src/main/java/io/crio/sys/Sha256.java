package io.crio.sys;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * SHA-256 for verifying downloads at disk and network speed. It uses the system's libcrypto (OpenSSL 3,
 * whose SHA-256 uses the CPU's SHA instructions) through the FFM API, passing Java arrays without
 * copying; where libcrypto is missing it falls back to the JDK's implementation, which is fast only once
 * the JIT's top tier has compiled it.
 */
public abstract class Sha256 implements AutoCloseable {

    /** Adds bytes to the hash. */
    public abstract void update(byte[] buf, int off, int len);

    /** Finishes the hash and returns its 32 bytes; the object cannot be used afterwards. */
    public abstract byte[] digest();

    @Override
    public void close() {}

    /** A new hasher: native when libcrypto is available, else the JDK's. */
    public static Sha256 create() {
        return Native.AVAILABLE ? new Native() : new Jdk();
    }

    /** Whether hashes are computed by libcrypto. */
    public static boolean isNative() {
        return Native.AVAILABLE;
    }

    private static final class Jdk extends Sha256 {
        private final MessageDigest md;

        Jdk() {
            try {
                md = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public void update(byte[] buf, int off, int len) {
            md.update(buf, off, len);
        }

        @Override
        public byte[] digest() {
            return md.digest();
        }
    }

    private static final class Native extends Sha256 {
        static final boolean AVAILABLE;
        static final MethodHandle CTX_NEW;
        static final MethodHandle CTX_FREE;
        static final MethodHandle SHA256;
        static final MethodHandle INIT;
        static final MethodHandle UPDATE;
        static final MethodHandle FINAL;

        static {
            MethodHandle ctxNew = null;
            MethodHandle ctxFree = null;
            MethodHandle sha = null;
            MethodHandle init = null;
            MethodHandle update = null;
            MethodHandle fin = null;
            boolean ok = false;
            Optional<SymbolLookup> lib = open("libcrypto.so.3");
            if (lib.isPresent()) {
                try {
                    Linker linker = Linker.nativeLinker();
                    SymbolLookup l = lib.get();
                    ctxNew = linker.downcallHandle(l.findOrThrow("EVP_MD_CTX_new"), FunctionDescriptor.of(ValueLayout.ADDRESS));
                    ctxFree = linker.downcallHandle(l.findOrThrow("EVP_MD_CTX_free"), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
                    sha = linker.downcallHandle(l.findOrThrow("EVP_sha256"), FunctionDescriptor.of(ValueLayout.ADDRESS));
                    init = linker.downcallHandle(l.findOrThrow("EVP_DigestInit_ex"),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
                    update = linker.downcallHandle(l.findOrThrow("EVP_DigestUpdate"),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG),
                            Linker.Option.critical(true));
                    fin = linker.downcallHandle(l.findOrThrow("EVP_DigestFinal_ex"),
                            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS),
                            Linker.Option.critical(true));
                    ok = true;
                } catch (RuntimeException e) {
                    ok = false;
                }
            }
            AVAILABLE = ok;
            CTX_NEW = ctxNew;
            CTX_FREE = ctxFree;
            SHA256 = sha;
            INIT = init;
            UPDATE = update;
            FINAL = fin;
        }

        private static Optional<SymbolLookup> open(String name) {
            try {
                return Optional.of(SymbolLookup.libraryLookup(name, Arena.global()));
            } catch (IllegalArgumentException e) {
                return Optional.empty();
            }
        }

        private MemorySegment ctx;

        Native() {
            try {
                ctx = (MemorySegment) CTX_NEW.invokeExact();
                if (ctx.equals(MemorySegment.NULL)) {
                    throw new IllegalStateException("EVP_MD_CTX_new failed");
                }
                MemorySegment md = (MemorySegment) SHA256.invokeExact();
                int r = (int) INIT.invokeExact(ctx, md, MemorySegment.NULL);
                if (r != 1) {
                    close();
                    throw new IllegalStateException("EVP_DigestInit_ex failed");
                }
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        @Override
        public void update(byte[] buf, int off, int len) {
            if (len == 0) {
                return;
            }
            java.util.Objects.checkFromIndexSize(off, len, buf.length);
            try {
                int r = (int) UPDATE.invokeExact(ctx, MemorySegment.ofArray(buf).asSlice(off, len), (long) len);
                if (r != 1) {
                    throw new IllegalStateException("EVP_DigestUpdate failed");
                }
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        @Override
        public byte[] digest() {
            byte[] out = new byte[32];
            try {
                int r = (int) FINAL.invokeExact(ctx, MemorySegment.ofArray(out), MemorySegment.NULL);
                if (r != 1) {
                    throw new IllegalStateException("EVP_DigestFinal_ex failed");
                }
                return out;
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            } finally {
                close();
            }
        }

        @Override
        public void close() {
            if (ctx != null) {
                try {
                    CTX_FREE.invokeExact(ctx);
                } catch (Throwable ignored) {
                    // freeing cannot fail in a way we could act on
                }
                ctx = null;
            }
        }
    }
}

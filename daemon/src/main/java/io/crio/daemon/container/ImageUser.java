package io.crio.daemon.container;

import io.crio.daemon.server.CriException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The user a container's process runs as: from the CRI's run_as_user / run_as_username / run_as_group /
 * supplemental groups, else the image's {@code User} ({@code name}, {@code uid}, {@code uid:gid},
 * {@code name:group}), with names looked up in the image's {@code /etc/passwd} and {@code /etc/group}.
 * Those files are read only when they are regular files inside the root file system (never through a
 * symbolic link that could point at the host's).
 */
final class ImageUser {

    /** The resolved identity. */
    record Resolved(long uid, long gid, List<Long> additionalGids, String username) {}

    record PasswdEntry(String name, long uid, long gid) {}

    record GroupEntry(String name, long gid, List<String> members) {}

    /** An image's {@code /etc/passwd} and {@code /etc/group} entries. */
    record Accounts(List<PasswdEntry> passwd, List<GroupEntry> groups) {}

    /** A new container's root file system holds exactly its image's files. */
    private static final PerImage<Accounts> BY_IMAGE = new PerImage<>();

    private ImageUser() {}

    /** The accounts of the image's files under {@code rootfs}. */
    static Accounts accounts(Path rootfs) {
        return new Accounts(readPasswd(rootfs), readGroups(rootfs));
    }

    /** The accounts read from a new container of image {@code imageId} before; empty when none were. */
    static Optional<Accounts> cached(String imageId) {
        return BY_IMAGE.get(imageId);
    }

    /** The accounts of image {@code imageId}, read from the root file system of a new container of it. */
    static Accounts remember(String imageId, Path rootfs) {
        return BY_IMAGE.put(imageId, accounts(rootfs));
    }

    static Resolved resolve(Path rootfs, Long runAsUser, String runAsUsername, Long runAsGroup,
                            List<Long> supplementalGroups, String imageUser) {
        return resolve(accounts(rootfs), runAsUser, runAsUsername, runAsGroup, supplementalGroups, imageUser);
    }

    static Resolved resolve(Accounts accounts, Long runAsUser, String runAsUsername, Long runAsGroup,
                            List<Long> supplementalGroups, String imageUser) {
        List<PasswdEntry> passwd = accounts.passwd();
        List<GroupEntry> groups = accounts.groups();
        long uid;
        long gid = 0;
        String name = "";
        String groupPart = null;
        if (!runAsUsername.isEmpty()) {
            PasswdEntry e = byName(passwd, runAsUsername).orElseThrow(() -> missing("user", runAsUsername));
            uid = e.uid();
            gid = e.gid();
            name = e.name();
        } else if (runAsUser != null) {
            uid = runAsUser;
            Optional<PasswdEntry> e = byUid(passwd, uid);
            if (e.isPresent()) {
                gid = e.get().gid();
                name = e.get().name();
            }
        } else {
            String user = imageUser.trim();
            String userPart = user;
            int colon = user.indexOf(':');
            if (colon >= 0) {
                userPart = user.substring(0, colon);
                groupPart = user.substring(colon + 1);
            }
            if (userPart.isEmpty()) {
                uid = 0;
                name = byUid(passwd, 0).map(PasswdEntry::name).orElse("");
            } else if (userPart.chars().allMatch(Character::isDigit)) {
                uid = parseId(userPart);
                Optional<PasswdEntry> e = byUid(passwd, uid);
                if (e.isPresent()) {
                    gid = e.get().gid();
                    name = e.get().name();
                }
            } else {
                String wanted = userPart;
                PasswdEntry e = byName(passwd, wanted).orElseThrow(() -> missing("user", wanted));
                uid = e.uid();
                gid = e.gid();
                name = e.name();
            }
            if (groupPart != null && !groupPart.isEmpty()) {
                if (groupPart.chars().allMatch(Character::isDigit)) {
                    gid = parseId(groupPart);
                } else {
                    String wanted = groupPart;
                    gid = groups.stream().filter(g -> g.name().equals(wanted)).findFirst()
                            .orElseThrow(() -> missing("group", wanted)).gid();
                }
            }
        }
        if (runAsGroup != null) {
            gid = runAsGroup;
        }
        Set<Long> additional = new LinkedHashSet<>();
        if (!name.isEmpty()) {
            for (GroupEntry g : groups) {
                if (g.members().contains(name) && g.gid() != gid) {
                    additional.add(g.gid());
                }
            }
        }
        additional.addAll(supplementalGroups);
        return new Resolved(uid, gid, List.copyOf(additional), name);
    }

    private static CriException missing(String what, String name) {
        return CriException.failedPrecondition("unable to find " + what + " " + name
                + ": no matching entries in the image's /etc/" + (what.equals("user") ? "passwd" : "group"));
    }

    private static long parseId(String s) {
        try {
            long v = Long.parseLong(s);
            if (v < 0 || v > 0xFFFF_FFFEL) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException e) {
            throw CriException.invalidArgument("invalid user or group ID " + s);
        }
    }

    private static Optional<PasswdEntry> byName(List<PasswdEntry> passwd, String name) {
        return passwd.stream().filter(e -> e.name().equals(name)).findFirst();
    }

    private static Optional<PasswdEntry> byUid(List<PasswdEntry> passwd, long uid) {
        return passwd.stream().filter(e -> e.uid() == uid).findFirst();
    }

    static List<PasswdEntry> readPasswd(Path rootfs) {
        List<PasswdEntry> out = new ArrayList<>();
        for (String line : lines(rootfs.resolve("etc/passwd"))) {
            String[] f = line.split(":", -1);
            if (f.length >= 4 && !f[0].isEmpty()) {
                try {
                    out.add(new PasswdEntry(f[0], Long.parseLong(f[2]), Long.parseLong(f[3])));
                } catch (NumberFormatException e) {
                    // a malformed line is skipped, as libc does
                }
            }
        }
        return out;
    }

    static List<GroupEntry> readGroups(Path rootfs) {
        List<GroupEntry> out = new ArrayList<>();
        for (String line : lines(rootfs.resolve("etc/group"))) {
            String[] f = line.split(":", -1);
            if (f.length >= 3 && !f[0].isEmpty()) {
                try {
                    List<String> members = f.length >= 4 && !f[3].isEmpty() ? List.of(f[3].split(",")) : List.of();
                    out.add(new GroupEntry(f[0], Long.parseLong(f[2]), members));
                } catch (NumberFormatException e) {
                    // skipped
                }
            }
        }
        return out;
    }

    private static List<String> lines(Path file) {
        try {
            // the file and the directories leading to it must not be symbolic links out of the image
            Path etc = file.getParent();
            if (!Files.isDirectory(etc, LinkOption.NOFOLLOW_LINKS) || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                return List.of();
            }
            return Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}

package io.crio.daemon.config;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** One layer of configuration and where it came from (a file path, or a description such as "command line"). */
public record ConfigSource(String origin, ObjectNode tree) {}

package org.bsq.core.json;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The project's Jackson mappers, one per purpose, configured once (immutable after construction, so safe to share):
 *
 * <ul>
 *   <li>{@link #files()}: the files the project writes and reads back (run.json, config.json, checkpoints, weight
 *       manifests, histories, reports). Unknown properties are errors: a file of a newer or foreign layout must not
 *       be half-read. Written indented ({@link #writeFile}) or as one line ({@link #line}).</li>
 *   <li>{@link #config()}: files users write (experiment files, accelerator and workload files, in YAML or JSON):
 *       YAML 1.1 (which also reads JSON), unknown properties and missing or null primitives are errors, enums
 *       case-insensitive.</li>
 * </ul>
 */
public final class Json {
  /** Paths are written as plain strings (Jackson's default is a {@code file://} URI). */
  private static final SimpleModule PATHS = new SimpleModule("bsq-paths")
      .addSerializer(Path.class, ToStringSerializer.instance);
  private static final ObjectMapper FILES = JsonMapper.builder()
      .addModule(PATHS)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
      .build();
  private static final ObjectWriter PRETTY = FILES.writer().with(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectWriter CANONICAL = FILES.writer().with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
  private static final ObjectMapper CONFIG = YAMLMapper.builder()
      .addModule(PATHS)
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
      .build();

  private Json() {}

  /** The mapper of the project's own files (strict reading). */
  public static ObjectMapper files() {
    return FILES;
  }

  /** The mapper of user-written configuration (YAML or JSON, strict reading, case-insensitive enums). */
  public static ObjectMapper config() {
    return CONFIG;
  }

  /** One-line JSON (for {@code --json} output). */
  public static String line(Object value) {
    return write(FILES.writer(), value);
  }

  /** Indented JSON. */
  public static String pretty(Object value) {
    return write(PRETTY, value);
  }

  private static String write(ObjectWriter writer, Object value) {
    try {
      return writer.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize " + value.getClass().getSimpleName() + " to JSON: "
          + e.getOriginalMessage(), e);
    }
  }

  /** A tree's JSON with every object's keys sorted (for hashing: equal trees give equal bytes). */
  public static byte[] canonicalBytes(JsonNode tree) {
    try {
      Object plain = FILES.treeToValue(tree, Object.class);
      return CANONICAL.writeValueAsString(plain).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialize a JSON tree: " + e.getOriginalMessage(), e);
    }
  }

  /** Writes {@code value} indented to {@code file} atomically: a temporary sibling renamed into place. */
  public static void writeFile(Path file, Object value) {
    Path target = file.toAbsolutePath();
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try {
      Files.createDirectories(target.getParent());
      Files.write(tmp, PRETTY.writeValueAsBytes(value));
      try {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads one of the project's files as {@code type}; a malformed file fails naming the file and the problem. */
  public static <T> T readFile(Path file, Class<T> type) {
    try {
      return FILES.readValue(file.toFile(), type);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(file + " must be a valid " + type.getSimpleName() + " file: "
          + e.getOriginalMessage() + location(e), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads one of the project's files as a tree. */
  public static JsonNode readTree(Path file) {
    try {
      return FILES.readTree(file.toFile());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(file + " must be valid JSON: " + e.getOriginalMessage() + location(e), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static String location(JsonProcessingException e) {
    return e.getLocation() == null ? ""
        : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
  }
}

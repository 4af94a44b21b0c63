package org.bsq.spark;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.apache.spark.TaskFailedReason;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.scheduler.TaskInfo;

/**
 * The driver's status lines while a wave runs (its results come only when the whole wave is done): which run started
 * on which executor, and every attempt Spark lost or killed (an executor gone, a speculative copy that lost) and
 * retries. A task's partition index is its run's position in the wave. Called on Spark's listener thread.
 */
final class TaskEvents extends SparkListener {
  private final Consumer<String> out;
  private final Map<Integer, List<String>> runsOfStage = new ConcurrentHashMap<>();
  private volatile List<String> wave = List.of();

  TaskEvents(Consumer<String> out) {
    this.out = out;
  }

  /** The runs of the wave about to be submitted, in partition order. */
  void nextWave(List<String> ids) {
    wave = List.copyOf(ids);
  }

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted event) {
    runsOfStage.putIfAbsent(event.stageInfo().stageId(), wave);
  }

  private String run(int stageId, TaskInfo info) {
    List<String> ids = runsOfStage.getOrDefault(stageId, wave);
    return info.index() < ids.size() ? ids.get(info.index()) : "task " + info.index();
  }

  @Override
  public void onTaskStart(SparkListenerTaskStart event) {
    TaskInfo info = event.taskInfo();
    out.accept(String.format(Locale.ROOT, "sweep: start %s (attempt %d on executor %s@%s%s)", run(event.stageId(), info),
        info.attemptNumber(), info.executorId(), info.host(), info.speculative() ? ", speculative" : ""));
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd event) {
    if (event.reason() instanceof TaskFailedReason failed) {
      TaskInfo info = event.taskInfo();
      out.accept(String.format(Locale.ROOT, "sweep: attempt %d of %s on executor %s@%s ended without a result (%s)%s",
          info.attemptNumber(), run(event.stageId(), info), info.executorId(), info.host(),
          failed.toErrorString().lines().findFirst().orElse("?"),
          failed.countTowardsTaskFailures() ? "" : "; not counted as a failure"));
    }
  }
}

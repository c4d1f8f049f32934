using System.Collections.Generic;
using RapidMessageTools.Metrics;

namespace RapidMessageTools.Results;

/// <summary>What a result carries about streamed replies: figures, and the summaries and histograms when chunks came.</summary>
internal static class StreamResults
{
    /// <summary>Counts the streams still open as cut, then copies the stream figures into <paramref name="result"/> (summaries and histograms only when chunks came).</summary>
    public static void Fill(RapidScenarioResult result, StreamTracker streams)
    {
        streams.CloseCut();
        result.ChunksDelivered = streams.Chunks;
        result.StreamsCompleted = streams.Completed;
        result.StreamsCancelled = streams.Cancelled;
        result.StreamsCut = streams.Cut;
        if (streams.Chunks > 0)
        {
            result.FirstChunkLatency = streams.FirstChunk.Summarize();
            result.ChunkGap = streams.Gap.Summarize();
            result.FirstChunkHistogram = streams.FirstChunk.Export();
            result.ChunkGapHistogram = streams.Gap.Export();
        }
    }

}

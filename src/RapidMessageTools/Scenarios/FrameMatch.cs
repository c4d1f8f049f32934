namespace RapidMessageTools.Scenarios;

/// <summary>What a received frame did in the ledger.</summary>
internal enum FrameMatch
{
    /// <summary>Settled nothing: not a reply, a late or repeated one, or one this run never asked for.</summary>
    None,

    /// <summary>The first answer to one of this run's messages.</summary>
    Answered,

    /// <summary>Refused one of this run's messages (queue_full or another error naming it).</summary>
    Rejected,
}

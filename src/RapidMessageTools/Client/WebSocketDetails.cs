using System.Net.WebSockets;
using System.Reflection;

namespace RapidMessageTools.Client;

/// <summary>
/// The HTTP status of a failed WebSocket upgrade. .NET 7+ has ClientWebSocketOptions.CollectHttpResponseDetails
/// and ClientWebSocket.HttpStatusCode; netstandard2.0 does not show them, so they are reached by reflection
/// when the runtime has them (on .NET Framework the status comes from the exception instead).
/// </summary>
internal static class WebSocketDetails
{
    private static readonly PropertyInfo? CollectDetails = typeof(ClientWebSocketOptions).GetProperty("CollectHttpResponseDetails", BindingFlags.Public | BindingFlags.Instance);
    private static readonly PropertyInfo? HttpStatus = typeof(ClientWebSocket).GetProperty("HttpStatusCode", BindingFlags.Public | BindingFlags.Instance);

    public static void CollectResponseDetails(ClientWebSocket socket)
    {
        if (CollectDetails is { CanWrite: true })
        {
            try
            {
                CollectDetails.SetValue(socket.Options, true);
            }
            catch (TargetInvocationException)
            {
            }
        }
    }

    /// <summary>The status of the upgrade response, when the runtime recorded one.</summary>
    public static int? StatusCode(ClientWebSocket socket)
    {
        if (HttpStatus is null)
        {
            return null;
        }

        try
        {
            var value = HttpStatus.GetValue(socket);
            var code = value is null ? 0 : System.Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
            return code > 0 ? code : null;
        }
        catch (TargetInvocationException)
        {
            return null;
        }
    }
}

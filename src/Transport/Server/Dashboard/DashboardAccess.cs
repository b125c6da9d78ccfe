using FedLlm.Foundation.Configuration;

namespace FedLlm.Transport.Server;

/// <summary>Who may open the server's live dashboard (<c>server.dashboard</c>).</summary>
public enum DashboardAccess
{
    /// <summary>Requests from this machine only (the default: no new way in from the network).</summary>
    Loopback,
    /// <summary>A federation member: its token (bearer header or ?token=) or client certificate, as for the API.</summary>
    Members,
    /// <summary>No dashboard.</summary>
    Off,
}

public static class DashboardAccesses
{
    public static readonly NamedValues<DashboardAccess> Names = new(
        ("loopback", DashboardAccess.Loopback), ("members", DashboardAccess.Members), ("off", DashboardAccess.Off));
}

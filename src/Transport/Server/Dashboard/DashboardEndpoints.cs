using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace FedLlm.Transport.Server;

/// <summary>
/// The live dashboard's two read-only GET endpoints on the server's own host: <c>/dashboard</c> (the page) and
/// <c>/dashboard/state</c> (what the page polls). Access follows <c>server.dashboard</c>: loopback callers only by
/// default, or members with the API's own credentials; anyone else gets 403 with the reason.
/// </summary>
public static class DashboardEndpoints
{
    public const string PagePath = "/dashboard";

    public static void Map(WebApplication app, DashboardView view, ClientRegistry registry, DashboardAccess access)
    {
        if (access == DashboardAccess.Off) return;
        app.MapGet(PagePath, (HttpContext http) => Allowed(http, registry, access) is { } refusal
            ? refusal
            : Results.Content(view.Page(), "text/html; charset=utf-8"));
        app.MapGet(DashboardView.StatePath, (HttpContext http) => Allowed(http, registry, access) is { } refusal
            ? refusal
            : Results.Content(view.State().ToJsonString(), "application/json; charset=utf-8"));
    }

    /// <summary>Null when the caller may look; otherwise the 403 answer saying why.</summary>
    private static IResult? Allowed(HttpContext http, ClientRegistry registry, DashboardAccess access)
    {
        http.Response.Headers.CacheControl = "no-store";
        if (access == DashboardAccess.Loopback)
        {
            return http.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address)
                ? null
                : Refuse("the dashboard answers this machine only (server.dashboard: loopback); set server.dashboard: members to let members look with their token");
        }
        string? token = ClientRegistry.BearerToken(http.Request.Headers.Authorization) ?? http.Request.Query["token"].FirstOrDefault();
        int id = registry.Identify(token, http.Connection.ClientCertificate);
        if (id < 0) return Refuse("the dashboard needs a member's token (Authorization: Bearer …, or ?token=…) or client certificate");
        return registry.IsRevoked(id) ? Refuse("this member has been revoked") : null;
    }

    private static IResult Refuse(string reason) => Results.Text(reason + "\n", "text/plain; charset=utf-8", statusCode: StatusCodes.Status403Forbidden);
}

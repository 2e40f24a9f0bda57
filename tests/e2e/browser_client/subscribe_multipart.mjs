// Subscribes to missionEvents over multipart HTTP the way Apollo Client does (its
// HttpLink sends subscriptions as multipart/mixed;subscriptionSpec=1.0), printing one
// JSON line per result; exits 0 when the stream completes, 1 on an error.
import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client";
import { MISSION_EVENTS, operationFromArgs } from "./operations.mjs";

const { url, token, variables } = operationFromArgs(process.argv.slice(2));
const client = new ApolloClient({
  link: new HttpLink({
    uri: url,
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  }),
  cache: new InMemoryCache(),
});

client
  .subscribe({ query: gql(MISSION_EVENTS), variables, fetchPolicy: "no-cache" })
  .subscribe({
    next: (result) => console.log(JSON.stringify({ data: result.data, errors: result.error ? [{ message: result.error.message }] : undefined })),
    error: (error) => {
      console.error(String(error?.message ?? error));
      process.exit(1);
    },
    complete: () => process.exit(0),
  });

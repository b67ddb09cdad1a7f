console.log("minjs");
